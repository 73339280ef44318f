/**
 * CDA body sections → JP-CLINS document sections (http://jpfhir.jp/fhir/clins/CodeSystem/document-section).
 * A CDA section is recognised by its LOINC code, or, when it has none we know, by its Japanese title.
 * The LOINC codes are the usual CDA section codes; HL7J-CDA-001's own list could not be checked
 * (shared/reference/jp-standards.md §5), which is why titles are matched too.
 */

export const CLINS_SECTION_SYSTEM = 'http://jpfhir.jp/fhir/clins/CodeSystem/document-section';

/**
 * Which FHIR resource a section's coded entries become: the resource JP_Composition_eReferral's section names
 * (`result` and `finding` are both Observations, of category laboratory and exam).
 */
export type EntryKind = 'condition' | 'allergy' | 'medication' | 'result' | 'finding' | 'immunization' | 'procedure';

export interface SectionRule {
  clinsCode: string;
  /** JP-CLINS display, as in the eReferral example. */
  display: string;
  title: string;
  loincCodes: readonly string[];
  titles: readonly string[];
  entryKind?: EntryKind;
  /** The IG's 1..1 sub-sections: always written, with an empty reason when the document has none. */
  required?: boolean;
}

export const SECTION_RULES: readonly SectionRule[] = [
  { clinsCode: '950', display: '紹介目的セクション', title: '紹介目的', loincCodes: ['42349-1'], titles: ['紹介目的', '紹介理由'], required: true },
  {
    clinsCode: '340',
    display: '傷病名・主訴セクション',
    title: '傷病名・主訴',
    loincCodes: ['11450-4', '10154-3', '46239-0', '29299-5'],
    titles: ['傷病名・主訴', '傷病名', '病名', '主訴'],
    entryKind: 'condition',
    required: true,
  },
  { clinsCode: '360', display: '現病歴セクション', title: '現病歴', loincCodes: ['10164-2'], titles: ['現病歴'], entryKind: 'condition', required: true },
  { clinsCode: '370', display: '既往歴セクション', title: '既往歴', loincCodes: ['11348-0'], titles: ['既往歴'], entryKind: 'condition' },
  {
    clinsCode: '510',
    display: 'アレルギー・不耐性反応セクション',
    title: 'アレルギー・不耐性反応',
    loincCodes: ['48765-2'],
    titles: ['アレルギー・不耐性反応', 'アレルギー'],
    entryKind: 'allergy',
  },
  { clinsCode: '550', display: '家族歴セクション', title: '家族歴', loincCodes: ['10157-6'], titles: ['家族歴'] },
  { clinsCode: '610', display: '身体所見セクション', title: '身体所見', loincCodes: ['29545-1'], titles: ['身体所見'], entryKind: 'finding' },
  { clinsCode: '520', display: '感染症情報セクション', title: '感染症情報', loincCodes: [], titles: ['感染症情報', '感染症'] },
  { clinsCode: '640', display: '社会歴・生活習慣セクション', title: '社会歴・生活習慣', loincCodes: ['29762-2'], titles: ['社会歴・生活習慣', '社会歴', '生活習慣'] },
  { clinsCode: '530', display: '予防接種歴セクション', title: '予防接種歴', loincCodes: ['11369-6'], titles: ['予防接種歴', '予防接種'], entryKind: 'immunization' },
  { clinsCode: '730', display: '手術セクション', title: '手術', loincCodes: ['47519-4'], titles: ['手術', '手術歴'], entryKind: 'procedure' },
  { clinsCode: '740', display: '輸血歴セクション', title: '輸血歴', loincCodes: [], titles: ['輸血歴', '輸血'], entryKind: 'procedure' },
  { clinsCode: '720', display: '処置セクション', title: '処置', loincCodes: [], titles: ['処置'], entryKind: 'procedure' },
  {
    clinsCode: '430',
    display: '投薬指示セクション',
    title: '投薬指示',
    loincCodes: ['10160-0', '29549-3'],
    titles: ['投薬指示', '処方', '投薬', '服薬'],
    entryKind: 'medication',
  },
  { clinsCode: '620', display: '検査結果セクション', title: '検査結果', loincCodes: ['30954-2'], titles: ['検査結果', '検査'], entryKind: 'result' },
  { clinsCode: '330', display: '臨床経過セクション', title: '臨床経過', loincCodes: ['8648-8'], titles: ['臨床経過', '経過'] },
  { clinsCode: '420', display: '診療方針指示セクション', title: '診療方針指示', loincCodes: ['18776-5'], titles: ['診療方針指示', '治療方針'] },
  { clinsCode: '810', display: '医療機器セクション', title: '医療機器', loincCodes: ['46264-8'], titles: ['医療機器'] },
  { clinsCode: '410', display: '事前指示セクション', title: '事前指示', loincCodes: ['42348-3'], titles: ['事前指示'] },
  { clinsCode: '830', display: '臨床研究参加セクション', title: '臨床研究参加', loincCodes: [], titles: ['臨床研究参加'] },
];

/**
 * 退院時サマリー (JP_Composition_eDischargeSummary): the sub-sections of 構造情報 (300), with the usual CDA discharge
 * summary section codes (LOINC) and Japanese titles.
 */
export const DISCHARGE_SECTION_RULES: readonly SectionRule[] = [
  { clinsCode: '322', display: '入院時詳細セクション', title: '入院時詳細', loincCodes: ['8646-2'], titles: ['入院時詳細', '入院情報'], required: true },
  { clinsCode: '342', display: '入院時診断セクション', title: '入院時診断', loincCodes: ['46241-6'], titles: ['入院時診断'], entryKind: 'condition', required: true },
  { clinsCode: '510', display: 'アレルギー・不耐性反応セクション', title: 'アレルギー・不耐性反応', loincCodes: ['48765-2'], titles: ['アレルギー・不耐性反応', 'アレルギー'], entryKind: 'allergy' },
  { clinsCode: '352', display: '主訴セクション', title: '主訴', loincCodes: ['10154-3'], titles: ['主訴'], entryKind: 'condition', required: true },
  { clinsCode: '312', display: '入院理由セクション', title: '入院理由', loincCodes: ['29299-5', '46239-0'], titles: ['入院理由', '入院目的'], required: true },
  { clinsCode: '360', display: '現病歴セクション', title: '現病歴', loincCodes: ['10164-2'], titles: ['現病歴'], entryKind: 'condition', required: true },
  { clinsCode: '370', display: '既往歴セクション', title: '既往歴', loincCodes: ['11348-0'], titles: ['既往歴'], entryKind: 'condition' },
  { clinsCode: '432', display: '入院時服薬セクション', title: '入院時服薬', loincCodes: ['42346-7'], titles: ['入院時服薬', '持参薬'] },
  { clinsCode: '640', display: '社会歴・生活習慣セクション', title: '社会歴・生活習慣', loincCodes: ['29762-2'], titles: ['社会歴・生活習慣', '社会歴', '生活習慣'] },
  { clinsCode: '612', display: '入院時身体所見セクション', title: '入院時身体所見', loincCodes: ['29545-1'], titles: ['入院時身体所見', '身体所見'] },
  { clinsCode: '550', display: '家族歴セクション', title: '家族歴', loincCodes: ['10157-6'], titles: ['家族歴'] },
  { clinsCode: '333', display: '入院中経過セクション', title: '入院中経過', loincCodes: ['8648-8'], titles: ['入院中経過', '入院経過', '臨床経過'], required: true },
  { clinsCode: '324', display: '退院時詳細セクション', title: '退院時詳細', loincCodes: ['8650-4'], titles: ['退院時詳細', '退院情報'], required: true },
  { clinsCode: '344', display: '退院時診断セクション', title: '退院時診断', loincCodes: ['11535-2'], titles: ['退院時診断'], entryKind: 'condition', required: true },
  { clinsCode: '444', display: '退院時投薬指示セクション', title: '退院時投薬指示', loincCodes: ['10183-2', '75311-1'], titles: ['退院時投薬指示', '退院時処方'], entryKind: 'medication', required: true },
  { clinsCode: '424', display: '退院時方針指示セクション', title: '退院時方針指示', loincCodes: ['8653-8', '18776-5'], titles: ['退院時方針指示', '退院時指示', '退院後の方針'], required: true },
  { clinsCode: '614', display: '退院時身体所見セクション', title: '退院時身体所見', loincCodes: ['10184-0'], titles: ['退院時身体所見'] },
  { clinsCode: '713', display: '入院中治療セクション', title: '入院中治療', loincCodes: ['47519-4', '29554-3'], titles: ['入院中治療', '手術・処置', '手術'] },
  { clinsCode: '623', display: '入院中検査結果セクション', title: '入院中検査結果', loincCodes: ['30954-2', '11493-4'], titles: ['入院中検査結果', '検査結果'] },
  { clinsCode: '810', display: '医療機器セクション', title: '医療機器', loincCodes: ['46264-8'], titles: ['医療機器'] },
  { clinsCode: '530', display: '予防接種歴セクション', title: '予防接種歴', loincCodes: ['11369-6'], titles: ['予防接種歴', '予防接種'] },
  { clinsCode: '410', display: '事前指示セクション', title: '事前指示', loincCodes: ['42348-3'], titles: ['事前指示'] },
  { clinsCode: '830', display: '臨床研究参加セクション', title: '臨床研究参加', loincCodes: [], titles: ['臨床研究参加'] },
];

export function findSectionRule<T extends SectionRule>(loincCode: string | undefined, title: string | undefined, rules: readonly T[]): T | undefined {
  return (
    (loincCode ? rules.find((rule) => rule.loincCodes.includes(loincCode)) : undefined) ??
    (title ? rules.find((rule) => rule.titles.includes(title)) : undefined)
  );
}

/** The header-derived sections and the container of the structured ones. */
export const RECIPIENT_SECTION = { clinsCode: '910', display: '紹介先情報セクション', title: '紹介先情報' } as const;
export const SENDER_SECTION = { clinsCode: '920', display: '紹介元情報セクション', title: '紹介元情報' } as const;
export const STRUCTURED_SECTION = { clinsCode: '300', display: '構造情報セクション', title: '構造情報' } as const;
/**
 * 備考・連絡情報 (220): a referral's top-level section beside 構造情報, not one of its sub-sections (the IG's
 * remarksCommunicationSection; the NoEntry example carries one).
 */
export const REMARKS_SECTION_RULE: SectionRule = {
  clinsCode: '220',
  display: '備考・連絡情報セクション',
  title: '備考・連絡情報',
  loincCodes: [],
  titles: ['備考・連絡情報', '備考', '連絡事項'],
};
