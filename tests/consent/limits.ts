export { isValidCardNumber } from '../../src/consent/model';
export { MAX_FAILED_ATTEMPTS as MAX_FAILED_ATTEMPTS_FOR_TESTS } from '../../src/consent-workflows/card-link';
export { MAX_EMERGENCY_DECLARATIONS as MAX_EMERGENCY_DECLARATIONS_FOR_TESTS } from '../../src/consent-workflows/emergency';
