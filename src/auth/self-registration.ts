/**
 * A resident makes their own account with what is printed on their card (number and secret) and their birth
 * date, proving they hold the card of an enrolled resident, the same proof a facility needs for $link-card.
 * Failures count against the caller's address (five per quarter hour, then refused), and every attempt
 * records its own audit entry. One account per resident: a second registration is refused and sent to the
 * network office.
 */
import type { Patient } from '@medplum/fhirtypes';
import type { AuditTrail } from '../audit/types';
import { cardSecretMatches } from '../consent/card';
import { isKind } from '../consent/grants';
import { ENROLMENT, isValidCardNumber } from '../consent/model';
import { claimAttempt } from '../consent-workflows/card-link';
import { consentsOf, patientByCard } from '../consent-workflows/enrolment';
import { FhirError } from '../core/errors';
import type { Repository } from '../fhir/repository';
import type { GuessAttempts } from '../store/guess-attempts';
import type { Account, AccountStore } from './accounts';

/** What the resident types on the registration page. */
export interface ResidentRegistrationForm {
  cardNumber: string;
  cardSecret: string;
  /** YYYY-MM-DD */
  birthDate: string;
  username: string;
  password: string;
}

/** The new account, or why there is none in the words the resident reads, with the HTTP status to answer. */
export type RegistrationOutcome = { registered: Account } | { refused: { status: number; text: string } };

export class ResidentRegistration {
  constructor(
    private readonly repo: Repository,
    private readonly accounts: AccountStore,
    private readonly attempts: GuessAttempts,
    private readonly audit: AuditTrail
  ) {}

  /**
   * A refusal (too many failures, no enrolled resident matches, an account exists already) is audited; a bad
   * username or password, which the account store refuses, is the person's typo once the card was right:
   * neither audited nor counted as a guess.
   */
  async register(form: ResidentRegistrationForm, remoteAddress: string): Promise<RegistrationOutcome> {
    const clientId = `self-registration ${remoteAddress}`;
    const refuse = async (status: number, text: string, why: string): Promise<RegistrationOutcome> => {
      await this.audit.append({ clientId, action: 'login-failure', patientIds: [], entities: [], outcome: '4', description: `self-registration refused: ${why}`, remoteAddress });
      return { refused: { status, text } };
    };
    let attempt: string;
    try {
      attempt = await claimAttempt(this.attempts, clientId);
    } catch (err) {
      if (err instanceof FhirError && err.status === 429) return refuse(429, '失敗が続いたため、しばらく登録できません。 Too many failed attempts: try again later.', 'rate limited');
      throw err;
    }
    const cardNumber = form.cardNumber.replace(/[\s-]/g, '');
    const regional = isValidCardNumber(cardNumber) ? await patientByCard(this.repo, cardNumber) : undefined;
    const enrolled = regional ? (await consentsOf(this.repo, regional.id as string)).some((c) => isKind(c, ENROLMENT.code as string) && c.status === 'active') : false;
    const secretOk = regional ? await cardSecretMatches(regional, form.cardSecret) : false;
    if (!regional || !enrolled || !secretOk || regional.birthDate !== form.birthDate) {
      return refuse(422, 'カード番号、カード暗証、生年月日のいずれかが違います。 The card number, card secret or birth date is not right.', 'no enrolled resident matches');
    }
    const patient = `Patient/${regional.id}`;
    if ((await this.accounts.list()).some((a) => a.patient === patient && a.status !== 'offboarded')) {
      return refuse(409, 'この方のアカウントはすでにあります。ネットワーク事務局に連絡してください。 An account already exists for this resident: contact the network office.', `${patient} already has an account`);
    }
    let account: Account;
    try {
      ({ account } = await this.accounts.create({ kind: 'resident', username: form.username.trim(), name: nameOf(regional), password: form.password, patient }));
    } catch (err) {
      // The card was right: a bad username or password is the person's typo, not a guess, so it is not counted.
      await this.attempts.succeeded(clientId, attempt);
      if (err instanceof FhirError) return { refused: { status: err.status, text: err.message } };
      throw err;
    }
    await this.attempts.succeeded(clientId, attempt);
    await this.audit.append({ clientId, action: 'account-change', patientIds: [regional.id as string], entities: [patient], outcome: '0', description: `resident account ${account.username} registered with the card`, remoteAddress });
    return { registered: account };
  }
}

function nameOf(patient: Patient): string {
  const name = patient.name?.[0];
  return [name?.family, ...(name?.given ?? [])].filter(Boolean).join(' ') || 'resident';
}
