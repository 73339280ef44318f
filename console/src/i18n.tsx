/** The console's words, Japanese first; English for visitors. Adding a language is one more column. */
import { createContext, useContext } from 'react';

const WORDS = {
  appTitle: { ja: 'Tonet 地域医療連携コンソール', en: 'Tonet regional network console' },
  language: { ja: 'English', en: '日本語' },
  signIn: { ja: 'ログイン', en: 'Sign in' },
  signOut: { ja: 'ログアウト', en: 'Sign out' },
  accessToken: { ja: 'アクセストークン', en: 'Access token' },
  accessTokenHelp: { ja: '/oauth2/token で発行されたトークンを貼り付けてください', en: 'Paste a token issued by /oauth2/token' },
  signedInAs: { ja: 'ログイン中', en: 'Signed in as' },
  patientSearch: { ja: '患者検索', en: 'Patient search' },
  cardNumber: { ja: 'カード番号', en: 'Card number' },
  cardSecret: { ja: 'カード確認番号', en: 'Card secret' },
  facilityPatientId: { ja: '施設患者番号', en: 'Facility patient number' },
  name: { ja: '氏名（かな・漢字）', en: 'Name (kana or kanji)' },
  birthDate: { ja: '生年月日', en: 'Birth date' },
  search: { ja: '検索', en: 'Search' },
  noPatients: { ja: '該当する患者はいません（同意がない患者は表示されません）', en: 'No patient found (patients without consent are not shown)' },
  open: { ja: '開く', en: 'Open' },
  cardLink: { ja: 'カード連携（受付）', en: 'Link a card (desk)' },
  link: { ja: '連携する', en: 'Link' },
  linked: { ja: 'カードを連携し、同意を記録しました', en: 'Card linked and consent recorded' },
  timeline: { ja: '施設横断タイムライン', en: 'Cross-facility timeline' },
  allKinds: { ja: 'すべて', en: 'All' },
  sourceFacility: { ja: '提供施設', en: 'Source facility' },
  allFacilities: { ja: 'すべての施設', en: 'All facilities' },
  date: { ja: '日時', en: 'Date' },
  kind: { ja: '種別', en: 'Kind' },
  item: { ja: '内容', en: 'Item' },
  abnormal: { ja: '異常', en: 'Abnormal' },
  loading: { ja: '読み込み中…', en: 'Loading…' },
  loadMore: { ja: 'さらに表示', en: 'Show more' },
  clinician: { ja: '診療', en: 'Clinical' },
  endOfRecord: { ja: 'これ以上の記録はありません', en: 'No more entries' },
  emptyRecord: { ja: '閲覧できる記録はありません', en: 'No entries you may see' },
  labTrend: { ja: '検査値の推移', en: 'Lab trend' },
  referenceRange: { ja: '基準範囲', en: 'Reference range' },
  noValues: { ja: '値がありません', en: 'No values' },
  patient: { ja: '患者', en: 'Patient' },
  emergencyView: { ja: '救急時閲覧', en: 'Emergency view' },
  emergencyAccess: { ja: '緊急アクセス', en: 'Emergency access' },
  emergencyNotice: {
    ja: '同意によらない救急時の閲覧です。理由とともに記録され、かかりつけ医に通知されます。表示されるのは救急時情報・アレルギー・直近の処方のみです。',
    en: 'Access without consent, for emergencies only. It is recorded with its reason and the family doctor is told. Only emergency information, allergies and recent prescriptions are shown.',
  },
  emergencyReason: { ja: '閲覧理由（必須）', en: 'Reason (required)' },
  emergencyOpen: { ja: '救急時情報を開く', en: 'Open emergency information' },
  back: { ja: '検索に戻る', en: 'Back to search' },
  error: { ja: 'エラー', en: 'Error' },
  ENCOUNTER: { ja: '受診', en: 'Encounter' },
  CONDITION: { ja: '病名', en: 'Diagnosis' },
  ALLERGY: { ja: 'アレルギー', en: 'Allergy' },
  MEDICATION: { ja: '処方', en: 'Prescription' },
  INJECTION: { ja: '注射', en: 'Injection' },
  LAB_RESULT: { ja: '検査結果', en: 'Lab result' },
  IMAGING: { ja: '画像', en: 'Imaging' },
  DOCUMENT: { ja: '文書', en: 'Document' },
  VITAL: { ja: 'バイタル', en: 'Vital signs' },
} as const;

export type Language = 'ja' | 'en';
export type Word = keyof typeof WORDS;
export type Translate = (word: Word) => string;

export const LanguageContext = createContext<Language>('ja');

export function translator(language: Language): Translate {
  return (word) => WORDS[word][language];
}

export function useT(): Translate {
  return translator(useContext(LanguageContext));
}

export function useLanguage(): Language {
  return useContext(LanguageContext);
}
