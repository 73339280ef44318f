export { isValidCardNumber } from '../../src/consent/model';
export { MAX_FAILED_ATTEMPTS as MAX_FAILED_ATTEMPTS_FOR_TESTS } from '../../src/consent/card-link';
