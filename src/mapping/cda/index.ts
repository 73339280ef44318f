export { mapCdaReferral, type CdaReferralResult } from './map-referral';
