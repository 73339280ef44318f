export { mapCdaReferral, type CdaReferralResult } from './map-referral';
export { mapCdaDischargeSummary } from './map-discharge-summary';
export { mapCdaDocument } from './map-document';
