/**
 * The vocabularies the generator draws from: Japanese names (kanji with their katakana reading), ICD-10
 * diagnoses, HOT9 medicines and JLAC10 laboratory tests with plausible value distributions.
 * The code values have the right shape for each system; they are not a licensed master file
 * (HOT9 and JLAC10 masters are distributed by MEDIS-DC and JSLM), so do not use them for anything clinical.
 */

export const SYSTEMS = {
  /** JP Core: 医療機関の患者番号 facility patient id, OID root + 10-digit facility code. */
  patientIdPrefix: 'urn:oid:1.2.392.100495.20.3.51.1',
  icd10: 'http://hl7.org/fhir/sid/icd-10',
  /** HOT9: 標準医薬品マスター 9-digit code. */
  hot9: 'urn:oid:1.2.392.200119.4.403.1',
  /** JLAC10: 臨床検査項目分類コード 17-character code. */
  jlac10: 'urn:oid:1.2.392.200119.4.504',
  ucum: 'http://unitsofmeasure.org',
} as const;

export interface Reading {
  kanji: string;
  kana: string;
}

export const FAMILY_NAMES: readonly Reading[] = [
  ['佐藤', 'サトウ'], ['鈴木', 'スズキ'], ['高橋', 'タカハシ'], ['田中', 'タナカ'], ['伊藤', 'イトウ'], ['渡辺', 'ワタナベ'],
  ['山本', 'ヤマモト'], ['中村', 'ナカムラ'], ['小林', 'コバヤシ'], ['加藤', 'カトウ'], ['吉田', 'ヨシダ'], ['山田', 'ヤマダ'],
  ['佐々木', 'ササキ'], ['山口', 'ヤマグチ'], ['松本', 'マツモト'], ['井上', 'イノウエ'], ['木村', 'キムラ'], ['林', 'ハヤシ'],
  ['斎藤', 'サイトウ'], ['清水', 'シミズ'], ['山崎', 'ヤマザキ'], ['森', 'モリ'], ['池田', 'イケダ'], ['橋本', 'ハシモト'],
  ['阿部', 'アベ'], ['石川', 'イシカワ'], ['山下', 'ヤマシタ'], ['中島', 'ナカジマ'], ['石井', 'イシイ'], ['小川', 'オガワ'],
  ['前田', 'マエダ'], ['岡田', 'オカダ'], ['長谷川', 'ハセガワ'], ['藤田', 'フジタ'], ['後藤', 'ゴトウ'], ['近藤', 'コンドウ'],
  ['村上', 'ムラカミ'], ['遠藤', 'エンドウ'], ['青木', 'アオキ'], ['坂本', 'サカモト'], ['福田', 'フクダ'], ['太田', 'オオタ'],
  ['西村', 'ニシムラ'], ['藤井', 'フジイ'], ['岡本', 'オカモト'], ['金子', 'カネコ'], ['中野', 'ナカノ'], ['原田', 'ハラダ'],
].map(([kanji, kana]) => ({ kanji, kana }));

export const GIVEN_NAMES: Record<'male' | 'female', readonly Reading[]> = {
  male: [
    ['太郎', 'タロウ'], ['一郎', 'イチロウ'], ['健太', 'ケンタ'], ['翔太', 'ショウタ'], ['大輔', 'ダイスケ'], ['誠', 'マコト'],
    ['直樹', 'ナオキ'], ['浩', 'ヒロシ'], ['隆', 'タカシ'], ['拓也', 'タクヤ'], ['茂', 'シゲル'], ['大翔', 'ヒロト'],
    ['蓮', 'レン'], ['悠真', 'ユウマ'], ['清', 'キヨシ'], ['勇', 'イサム'],
  ].map(([kanji, kana]) => ({ kanji, kana })),
  female: [
    ['花子', 'ハナコ'], ['美咲', 'ミサキ'], ['陽子', 'ヨウコ'], ['恵子', 'ケイコ'], ['裕子', 'ユウコ'], ['明美', 'アケミ'],
    ['和子', 'カズコ'], ['由美', 'ユミ'], ['智子', 'トモコ'], ['真由美', 'マユミ'], ['結衣', 'ユイ'], ['陽菜', 'ヒナ'],
    ['さくら', 'サクラ'], ['幸子', 'サチコ'], ['節子', 'セツコ'], ['久美子', 'クミコ'],
  ].map(([kanji, kana]) => ({ kanji, kana })),
};

export const PREFECTURES: readonly { state: string; city: string; postalCode: string }[] = [
  { state: '東京都', city: '新宿区', postalCode: '160-0022' },
  { state: '大阪府', city: '大阪市北区', postalCode: '530-0001' },
  { state: '愛知県', city: '名古屋市中区', postalCode: '460-0008' },
  { state: '福岡県', city: '福岡市博多区', postalCode: '812-0011' },
  { state: '北海道', city: '札幌市中央区', postalCode: '060-0001' },
  { state: '宮城県', city: '仙台市青葉区', postalCode: '980-0811' },
];

/** 10-digit 医療機関コード facility codes: each facility numbers its own patients. */
export const FACILITY_CODES = ['1311234567', '2712345678', '2311122233', '4019876543'] as const;

export interface Coded {
  code: string;
  display: string;
}

export const ICD10: readonly Coded[] = [
  ['E11.9', '2型糖尿病'], ['I10', '本態性高血圧症'], ['E78.5', '脂質異常症'], ['J45.9', '気管支喘息'],
  ['K21.9', '胃食道逆流症'], ['N18.3', '慢性腎臓病ステージ3'], ['I48.9', '心房細動'], ['M81.9', '骨粗鬆症'],
  ['F32.9', 'うつ病'], ['J44.9', '慢性閉塞性肺疾患'], ['C16.9', '胃癌'], ['I63.9', '脳梗塞'],
  ['K74.6', '肝硬変'], ['E03.9', '甲状腺機能低下症'], ['G47.3', '睡眠時無呼吸症候群'], ['M17.9', '変形性膝関節症'],
].map(([code, display]) => ({ code, display }));

export const HOT9: readonly Coded[] = [
  ['103835401', 'メトホルミン塩酸塩錠250mg'], ['111426701', 'アムロジピン錠5mg'], ['112134501', 'アトルバスタチン錠10mg'],
  ['107561601', 'ランソプラゾールOD錠15mg'], ['118392301', 'エドキサバン錠30mg'], ['109871101', 'アレンドロン酸錠35mg'],
  ['116754101', 'シタグリプチン錠50mg'], ['114231901', 'カンデサルタン錠8mg'], ['105432201', 'レボチロキシンNa錠50μg'],
  ['121004501', 'エスシタロプラム錠10mg'], ['100982301', 'ロキソプロフェンNa錠60mg'], ['119283401', 'チオトロピウム吸入用カプセル18μg'],
  ['108923001', 'ファモチジン錠20mg'], ['113390801', 'ロスバスタチン錠2.5mg'], ['120118601', 'エンパグリフロジン錠10mg'],
].map(([code, display]) => ({ code, display }));

export interface LabTest extends Coded {
  unit: string;
  mean: number;
  sd: number;
  decimals: number;
  low: number;
  high: number;
}

export const JLAC10: readonly LabTest[] = [
  { code: '3D046000001920402', display: 'HbA1c(NGSP)', unit: '%', mean: 6.2, sd: 0.9, decimals: 1, low: 4.6, high: 6.2 },
  { code: '3D010000001926101', display: '血糖', unit: 'mg/dL', mean: 115, sd: 30, decimals: 0, low: 73, high: 109 },
  { code: '3B035000002327201', display: 'AST', unit: 'U/L', mean: 26, sd: 10, decimals: 0, low: 13, high: 30 },
  { code: '3B045000002327201', display: 'ALT', unit: 'U/L', mean: 24, sd: 12, decimals: 0, low: 10, high: 42 },
  { code: '3C015000002327101', display: 'クレアチニン', unit: 'mg/dL', mean: 0.9, sd: 0.3, decimals: 2, low: 0.46, high: 1.07 },
  { code: '8A065000002391901', display: 'eGFR', unit: 'mL/min/{1.73_m2}', mean: 68, sd: 18, decimals: 1, low: 60, high: 120 },
  { code: '3F077000002327101', display: 'LDLコレステロール', unit: 'mg/dL', mean: 120, sd: 32, decimals: 0, low: 65, high: 139 },
  { code: '3F070000002327101', display: 'HDLコレステロール', unit: 'mg/dL', mean: 58, sd: 15, decimals: 0, low: 40, high: 90 },
  { code: '3F015000002327101', display: '中性脂肪', unit: 'mg/dL', mean: 130, sd: 60, decimals: 0, low: 40, high: 149 },
  { code: '2A030000001930101', display: 'ヘモグロビン', unit: 'g/dL', mean: 13.5, sd: 1.6, decimals: 1, low: 11.6, high: 17.1 },
  { code: '2A990000001930953', display: '白血球数', unit: '10*3/uL', mean: 6.2, sd: 1.8, decimals: 1, low: 3.3, high: 8.6 },
  { code: '2A050000001930952', display: '血小板数', unit: '10*4/uL', mean: 24, sd: 6, decimals: 1, low: 15.8, high: 34.8 },
  { code: '3H010000002327101', display: 'ナトリウム', unit: 'mmol/L', mean: 140, sd: 2.5, decimals: 0, low: 138, high: 145 },
  { code: '3H015000002327101', display: 'カリウム', unit: 'mmol/L', mean: 4.2, sd: 0.4, decimals: 1, low: 3.6, high: 4.8 },
  { code: '5C070000002306001', display: 'CRP', unit: 'mg/dL', mean: 0.4, sd: 0.6, decimals: 2, low: 0, high: 0.14 },
  { code: '3C025000002327101', display: '尿素窒素', unit: 'mg/dL', mean: 16, sd: 5, decimals: 1, low: 8, high: 20 },
];
