/**
 * The demo region (デモ地域), as data: facilities, their staff clients, residents and where each resident's
 * card is linked, and a few months of lab results. `seed.ts` plays it against a running server through the
 * public APIs only. Extend the tables to extend the demo; nothing else needs to change.
 */

export type FacilityType = 'core-hospital' | 'clinic' | 'lab' | 'emergency';

export interface DemoFacility {
  key: string;
  name: string;
  /** 医療機関コード: the 10-digit medical institution number. */
  code: string;
  type: FacilityType;
  /** Sends HL7 v2 through a gateway client of its own. */
  gateway: boolean;
}

export const FACILITIES: DemoFacility[] = [
  { key: 'tone-central', name: '利根中央病院', code: '1310000011', type: 'core-hospital', gateway: true },
  { key: 'kazo-general', name: '加須総合病院', code: '1310000029', type: 'core-hospital', gateway: true },
  { key: 'kurihashi-clinic', name: '栗橋内科クリニック', code: '1310000037', type: 'clinic', gateway: false },
  { key: 'tone-lab', name: '利根臨床検査センター', code: '1310000045', type: 'lab', gateway: true },
  { key: 'tone-ems', name: '利根広域消防本部 救急隊', code: '1310000053', type: 'emergency', gateway: false },
];

export interface DemoResident {
  family: string;
  given: string;
  familyKana: string;
  givenKana: string;
  gender: 'male' | 'female';
  birthDate: string;
  /** Facility keys where the card has been shown and linked (its Consent recorded). */
  linkedAt: string[];
  /** Whether the resident agreed at enrolment to emergency access (救急時の閲覧). */
  emergencyUse: boolean;
}

export const RESIDENTS: DemoResident[] = [
  { family: '山田', given: '太郎', familyKana: 'ヤマダ', givenKana: 'タロウ', gender: 'male', birthDate: '1951-04-12', linkedAt: ['tone-central', 'kurihashi-clinic', 'tone-lab'], emergencyUse: true },
  { family: '佐藤', given: '花子', familyKana: 'サトウ', givenKana: 'ハナコ', gender: 'female', birthDate: '1948-09-30', linkedAt: ['tone-central', 'kazo-general'], emergencyUse: true },
  { family: '鈴木', given: '一郎', familyKana: 'スズキ', givenKana: 'イチロウ', gender: 'male', birthDate: '1960-01-05', linkedAt: ['kazo-general', 'kurihashi-clinic'], emergencyUse: false },
  { family: '高橋', given: '美咲', familyKana: 'タカハシ', givenKana: 'ミサキ', gender: 'female', birthDate: '1972-07-21', linkedAt: ['tone-central'], emergencyUse: true },
  { family: '田中', given: '健', familyKana: 'タナカ', givenKana: 'ケン', gender: 'male', birthDate: '1945-11-03', linkedAt: ['tone-central', 'tone-lab'], emergencyUse: true },
  { family: '伊藤', given: '由美', familyKana: 'イトウ', givenKana: 'ユミ', gender: 'female', birthDate: '1955-02-14', linkedAt: ['kurihashi-clinic'], emergencyUse: true },
  { family: '渡辺', given: '誠', familyKana: 'ワタナベ', givenKana: 'マコト', gender: 'male', birthDate: '1966-06-18', linkedAt: ['kazo-general'], emergencyUse: false },
  { family: '中村', given: '幸子', familyKana: 'ナカムラ', givenKana: 'サチコ', gender: 'female', birthDate: '1940-12-25', linkedAt: ['tone-central', 'kazo-general', 'kurihashi-clinic'], emergencyUse: true },
  { family: '小林', given: '大輔', familyKana: 'コバヤシ', givenKana: 'ダイスケ', gender: 'male', birthDate: '1979-03-09', linkedAt: [], emergencyUse: true },
  { family: '加藤', given: '恵子', familyKana: 'カトウ', givenKana: 'ケイコ', gender: 'female', birthDate: '1958-08-08', linkedAt: ['tone-central'], emergencyUse: true },
  { family: '吉田', given: '修', familyKana: 'ヨシダ', givenKana: 'オサム', gender: 'male', birthDate: '1950-10-10', linkedAt: ['kurihashi-clinic', 'tone-lab'], emergencyUse: false },
  // The clinician's day in the README: not yet linked at the demo doctor's facilities, results from a hospital and the lab, a CT.
  { family: '山本', given: '和子', familyKana: 'ヤマモト', givenKana: 'カズコ', gender: 'female', birthDate: '1943-05-27', linkedAt: ['kazo-general', 'tone-lab'], emergencyUse: true },
];

export interface DemoTest {
  /** JLAC10 17-digit code. */
  code: string;
  name: string;
  unit: string;
  range: string;
  /** The value for a resident index and a month back (0 = this week): a gentle, repeatable trend. */
  value(resident: number, monthsAgo: number): number;
  /** Above (or below) which the lab flags the value. */
  high?: number;
  low?: number;
}

export const TESTS: DemoTest[] = [
  { code: '3D046000001920402', name: 'HbA1c(NGSP)', unit: '%', range: '4.6-6.2', value: (r, m) => round(5.6 + (r % 4) * 0.5 - m * 0.1, 1), high: 6.2 },
  { code: '8A065000002391901', name: 'eGFR', unit: 'mL/min/1.73m2', range: '60-', value: (r, m) => round(78 - (r % 5) * 6 + m * 1.5, 1), low: 60 },
  { code: '3F077000002327101', name: 'LDLコレステロール', unit: 'mg/dL', range: '70-139', value: (r, m) => round(110 + (r % 3) * 15 - m * 2, 0), high: 139 },
];

/** Months of history sent for each resident, from each facility with a gateway where the card is linked. */
export const HISTORY_MONTHS = 6;

/**
 * The diabetes pathway patient (糖尿病連携パス): enrolled by the first core hospital with the clinic as the
 * follow-up facility; the newest HbA1c (8.4%) is over the pathway's threshold and raises its alert.
 */
export const PATHWAY = { resident: 0, hospital: 'tone-central', clinic: 'kurihashi-clinic', alertingHbA1c: '8.4' };

/** The shared CT scanner (共同利用 CT) whose slots clinics book. */
export const SCANNER = { hospital: 'tone-central', name: '320列CT', modality: 'CT', days: 14 };

/**
 * The referral letter (診療情報提供書): the clinic's doctor asks the core hospital for a chest CT of the pathway
 * patient and sends a CDA R2 letter; the hospital's scanner then sends the study over STOW-RS (CT_STUDIES).
 * The doctor is the demo doctor, who works at both (DEMO_PEOPLE).
 */
export const REFERRAL = {
  resident: 0,
  from: 'kurihashi-clinic',
  to: 'tone-central',
  letterNumber: 'REF-0001',
  authorId: 'D0001',
  recipient: { family: '小川', given: '正' },
  daysAgo: 7,
  purpose: '2型糖尿病で通院中です。1か月前から咳嗽が続き、HbA1c も上昇しています。胸部CTによる精査をお願いいたします。',
  problems: [
    { icd10: 'E119', name: '2型糖尿病', since: '2019-06-01' },
    { icd10: 'R05', name: '咳嗽' },
  ],
  history: '2019年より2型糖尿病で当院通院中。1か月前より乾性咳嗽が続き、鎮咳薬で改善しません。発熱はありません。',
};

/**
 * CT studies the core hospitals' scanners send (DICOM over STOW-RS), the first for the referral. Each Patient's
 * Name has the three groups a Japanese modality writes: romaji, kanji, kana (the last two from RESIDENTS).
 */
export const CT_STUDIES = [
  { resident: 0, hospital: 'tone-central', daysAgo: 3, description: '胸部単純CT', bodyPart: 'CHEST', accessionNumber: 'CT-0001', alphabeticName: 'YAMADA^TARO' },
  { resident: 11, hospital: 'kazo-general', daysAgo: 20, description: '胸部単純CT', bodyPart: 'CHEST', accessionNumber: 'KZ-CT-0001', alphabeticName: 'YAMAMOTO^KAZUKO' },
];

/**
 * A lab result the lab's system sent with a decimal comma (7,3 for 7.3), which Tonet refused and keeps in the
 * HL7 inbox for the network office to correct and replay.
 */
export const REFUSED_RESULT = { facility: 'tone-lab', resident: 11, test: 'HbA1c(NGSP)', value: 7.3, written: '7,3', daysAgo: 1 };

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** People who log in: a doctor at a core hospital and a clinic, a resident (by index in RESIDENTS), an office user. */
export const DEMO_PEOPLE = {
  doctor: { username: 'demo.doctor', family: '井上', given: '真一', facilities: ['tone-central', 'kurihashi-clinic'] },
  resident: { username: 'demo.resident', index: 0 },
  office: { username: 'demo.office', name: '木村 事務局' },
};
