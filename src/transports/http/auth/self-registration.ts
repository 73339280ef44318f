/**
 * A resident makes their own account with what is printed on their card (number and secret) and their birth
 * date, proving they hold the card of an enrolled resident, the same proof a facility needs for $link-card.
 * Failures count against the caller's address (five per quarter hour, then refused), and every attempt is
 * audited. One account per resident: a second registration is refused and sent to the network office.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Patient } from '@medplum/fhirtypes';
import type { AuditTrail } from '../../../audit/types';
import { cardSecretMatches } from '../../../consent/card';
import { claimAttempt } from '../../../consent-workflows/card-link';
import { consentsOf, patientByCard } from '../../../consent-workflows/enrolment';
import { isKind } from '../../../consent/grants';
import { ENROLMENT, isValidCardNumber } from '../../../consent/model';
import type { GuessAttempts } from '../../../store/guess-attempts';
import { FhirError } from '../../../core/errors';
import type { Repository } from '../../../fhir/repository';
import type { AccountStore } from '../../../auth/accounts';
import { systemContext } from '../../../core/context';
import { both, button, form, page } from '../../../auth/oidc/pages';

export function registerSelfRegistration(app: FastifyInstance, repo: Repository, accounts: AccountStore, attempts: GuessAttempts, audit: AuditTrail): void {
  const html = (reply: FastifyReply, body: string, status = 200) => reply.status(status).header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(body);

  app.get('/register', async (_request, reply) => html(reply, registrationPage()));

  app.post('/register', async (request: FastifyRequest, reply) => {
    const body = (request.body ?? {}) as Record<string, string>;
    const ctx = { ...systemContext(String(request.id)), clientId: `self-registration ${request.ip}`, clientName: 'resident self-registration', remoteAddress: request.ip };
    const refuse = async (text: string, status: number, why: string) => {
      await audit.append({ clientId: ctx.clientId, action: 'login-failure', patientIds: [], entities: [], outcome: '4', description: `self-registration refused: ${why}`, remoteAddress: request.ip });
      return html(reply, registrationPage(text), status);
    };
    let attempt: string;
    try {
      attempt = await claimAttempt(attempts, ctx.clientId);
    } catch (err) {
      if (err instanceof FhirError && err.status === 429) return refuse('失敗が続いたため、しばらく登録できません。 Too many failed attempts: try again later.', 429, 'rate limited');
      throw err;
    }
    const cardNumber = String(body.cardNumber ?? '').replace(/[\s-]/g, '');
    const regional = isValidCardNumber(cardNumber) ? await patientByCard(repo, cardNumber) : undefined;
    const enrolled = regional ? (await consentsOf(repo, regional.id as string)).some((c) => isKind(c, ENROLMENT.code as string) && c.status === 'active') : false;
    const secretOk = regional ? await cardSecretMatches(regional, String(body.cardSecret ?? '')) : false;
    if (!regional || !enrolled || !secretOk || regional.birthDate !== String(body.birthDate ?? '')) {
      return refuse('カード番号、カード暗証、生年月日のいずれかが違います。 The card number, card secret or birth date is not right.', 422, 'no enrolled resident matches');
    }
    const patient = `Patient/${regional.id}`;
    if ((await accounts.list()).some((a) => a.patient === patient && a.status !== 'offboarded')) {
      return refuse('この方のアカウントはすでにあります。ネットワーク事務局に連絡してください。 An account already exists for this resident: contact the network office.', 409, `${patient} already has an account`);
    }
    let account;
    try {
      ({ account } = await accounts.create({ kind: 'resident', username: String(body.username ?? '').trim(), name: nameOf(regional), password: String(body.password ?? ''), patient }));
    } catch (err) {
      // The card was right: a bad username or password is the person's typo, not a guess, so it is not counted.
      await attempts.succeeded(ctx.clientId, attempt);
      if (err instanceof FhirError) return html(reply, registrationPage(err.message), err.status);
      throw err;
    }
    await attempts.succeeded(ctx.clientId, attempt);
    await audit.append({ clientId: ctx.clientId, action: 'account-change', patientIds: [regional.id as string], entities: [patient], outcome: '0', description: `resident account ${account.username} registered with the card`, remoteAddress: request.ip });
    return html(reply, page('登録しました Registered', `<p>${both('アカウントを作成しました。アプリからログインしてください。', 'Your account is ready. Log in from your app.')}</p>`), 201);
  });
}

function nameOf(patient: Patient): string {
  const name = patient.name?.[0];
  return [name?.family, ...(name?.given ?? [])].filter(Boolean).join(' ') || 'resident';
}

function registrationPage(error?: string): string {
  return page(
    '住民の登録 Resident registration',
    `<p>${both('かかりつけ医カードの番号とカード暗証、生年月日で、ご自分のアカウントを作れます。', 'Make your own account with the number and secret on your card and your birth date.')}</p>` +
      form(
        '/register',
        [
          { name: 'cardNumber', label: both('カード番号', 'Card number'), inputmode: 'numeric', autocomplete: 'off' },
          { name: 'cardSecret', label: both('カード暗証', 'Card secret'), autocomplete: 'off' },
          { name: 'birthDate', label: both('生年月日', 'Birth date'), type: 'date', autocomplete: 'bday' },
          { name: 'username', label: both('ユーザー名', 'Username'), autocomplete: 'username' },
          { name: 'password', label: both('パスワード（10文字以上）', 'Password (10 characters or more)'), type: 'password', autocomplete: 'new-password' },
        ],
        button(both('登録', 'Register'))
      ),
    error
  );
}
