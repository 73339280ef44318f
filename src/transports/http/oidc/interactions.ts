/**
 * Tonet's login pages for the authorization server: password, then the second factor (a passkey, a TOTP
 * code or a recovery code; TOTP enrolment first when a practitioner or office user has none, and a passkey
 * registered after the code when the person asks for it), then the facility when a practitioner works at
 * several, then consent for third-party apps. The progress of one login is kept in the
 * provider's interaction record, so any server process can answer the next step. Each step is checked and
 * audited by auth/logins.ts; repeated failures lock the account (accounts.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Account, AccountStore } from '../../../auth/accounts';
import type { LoginAttempt, Logins } from '../../../auth/logins';
import type { Passkeys } from '../../../auth/passkeys';
import { assignmentFor, type FacilityChoices } from '../../../auth/oidc/claims';
import type { EhrLaunch, LaunchContexts } from '../../../auth/oidc/launch';
import { both, button, escapeHtml, form, page } from '../../../auth/oidc/pages';
import { PASSKEY_LOGIN_LABEL, PASSKEY_REGISTER_LABEL, passkeyForm } from './passkey-pages';
import { FIRST_PARTY_CLIENTS, type OidcProvider } from '../../../auth/oidc/provider';

/** RFC 8176 methods: pwd, otp (TOTP or recovery code), hwk (a passkey). */
type Amr = string[];

type Stage =
  | { stage: 'second-factor'; accountId: string; passkeyChallenge?: string; passkeyOptions?: unknown }
  | { stage: 'enrol-totp'; accountId: string; secret: string; uri: string }
  | { stage: 'recovery-codes'; accountId: string; codes: string[] }
  | { stage: 'register-passkey'; accountId: string; challenge: string; options: unknown; amr: Amr }
  | { stage: 'facility'; accountId: string; amr: Amr };

interface Details {
  uid: string;
  prompt: { name: 'login' | 'consent'; details: Record<string, unknown> };
  params: Record<string, string | undefined>;
  session?: { accountId: string; uid: string };
  grantId?: string;
  result?: { tonet?: Stage };
  lastSubmission?: { tonet?: { organization?: string } };
  exp: number;
  save(ttl: number): Promise<void>;
}

/** Second factors are required for these kinds and offered to residents. */
const SECOND_FACTOR_REQUIRED = new Set(['practitioner', 'office']);

export interface LoginPageServices {
  provider: OidcProvider;
  accounts: AccountStore;
  passkeys: Passkeys;
  facilities: FacilityChoices;
  launches: LaunchContexts;
  logins: Logins;
  sessionSeconds: number;
  /** The facility's name as its Organization gives it, for the facility choice. */
  facilityName(organization: string): Promise<string | undefined>;
}

export function registerLoginPages(app: FastifyInstance, services: LoginPageServices): void {
  const { provider, accounts, passkeys, facilities, launches, logins, sessionSeconds } = services;
  const facilityPage = async (uid: string, account: Account, error?: string) =>
    facilityChoicePage(uid, account, await Promise.all(account.facilities.map((f) => services.facilityName(f.organization))), error);
  const html = (reply: FastifyReply, body: string, status = 200) => reply.status(status).header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(body);
  const detailsOf = async (request: FastifyRequest, reply: FastifyReply): Promise<Details | undefined> => {
    try {
      const details = (await provider.interactionDetails(request.raw, reply.raw)) as Details;
      return details.uid === (request.params as { uid: string }).uid ? details : undefined;
    } catch {
      return undefined;
    }
  };
  const expired = (reply: FastifyReply) =>
    html(reply, page('ログインの期限切れ Login expired', `<p>${both('このログインは期限が切れました。アプリからもう一度始めてください。', 'This login has expired. Start again from the app.')}</p>`), 400);
  const saveStage = async (details: Details, stage: Stage) => {
    details.result = { tonet: stage };
    await details.save(Math.max(1, details.exp - Math.floor(Date.now() / 1000)));
  };
  const finish = async (request: FastifyRequest, reply: FastifyReply, result: Record<string, unknown>) => {
    reply.hijack();
    await provider.interactionFinished(request.raw, reply.raw, result, { mergeWithLastSubmission: true });
  };
  const clientName = async (details: Details) => {
    const client = await provider.Client.find(details.params.client_id);
    return String(client?.clientName ?? details.params.client_id ?? '');
  };
  const attemptOf = (request: FastifyRequest, details: Details): LoginAttempt => ({ clientId: details.params.client_id, remoteAddress: request.ip });

  /** The second-factor page, with a fresh passkey challenge when the account has a passkey. */
  const secondFactor = async (reply: FastifyReply, details: Details, account: Account, error?: string) => {
    const options = (await passkeys.count(account.id)) > 0 ? await passkeys.authenticationOptions(account.id) : undefined;
    await saveStage(details, { stage: 'second-factor', accountId: account.id, ...(options ? { passkeyChallenge: options.challenge, passkeyOptions: options } : {}) });
    return html(reply, secondFactorPage(details.uid, options, error), error ? 401 : 200);
  };
  /** After both factors: register a passkey if the person asked to, then the facility. */
  const afterSecondFactor = async (request: FastifyRequest, reply: FastifyReply, details: Details, account: Account, amr: Amr, registerPasskey: boolean) => {
    if (!registerPasskey) return chooseFacility(request, reply, details, account, amr);
    const options = await passkeys.registrationOptions(account);
    await saveStage(details, { stage: 'register-passkey', accountId: account.id, challenge: options.challenge, options, amr });
    return html(reply, registerPasskeyPage(details.uid, options));
  };
  /** Pick the facility if there are several, else log in. */
  const chooseFacility = async (request: FastifyRequest, reply: FastifyReply, details: Details, account: Account, amr: Amr) => {
    if (account.kind === 'practitioner' && account.facilities.length > 1) {
      await saveStage(details, { stage: 'facility', accountId: account.id, amr });
      return html(reply, await facilityPage(details.uid, account));
    }
    return finishLogin(request, reply, details, account, account.facilities[0]?.organization, amr);
  };
  const finishLogin = async (request: FastifyRequest, reply: FastifyReply, details: Details, account: Account, organization: string | undefined, amr: Amr) => {
    await logins.loggedIn(attemptOf(request, details), account, amr, organization);
    return finish(request, reply, { login: { accountId: account.id, amr, acr: amr.length > 1 ? 'urn:tonet:2fa' : 'urn:tonet:pwd' }, tonet: { organization } });
  };

  app.get('/login/:uid', async (request, reply) => {
    const details = await detailsOf(request, reply);
    if (!details) return expired(reply);
    if (details.prompt.name === 'consent') return consentStep(request, reply, details);
    const stage = details.result?.tonet;
    const account = stage ? await accounts.byId(stage.accountId) : undefined;
    if (!stage || !account) return html(reply, passwordPage(details.uid));
    switch (stage.stage) {
      case 'second-factor':
        return html(reply, secondFactorPage(details.uid, stage.passkeyOptions));
      case 'enrol-totp':
        return html(reply, enrolPage(details.uid, stage.secret, stage.uri));
      case 'recovery-codes':
        return html(reply, recoveryCodesPage(details.uid, stage.codes));
      case 'register-passkey':
        return html(reply, registerPasskeyPage(details.uid, stage.options));
      case 'facility':
        return html(reply, await facilityPage(details.uid, account));
    }
  });

  app.post('/login/:uid/password', async (request, reply) => {
    const details = await detailsOf(request, reply);
    if (!details || details.prompt.name !== 'login') return expired(reply);
    const body = (request.body ?? {}) as Record<string, string>;
    const username = String(body.username ?? '').trim();
    const result = await logins.checkPassword(attemptOf(request, details), username, String(body.password ?? ''));
    if (!result.ok) return html(reply, passwordPage(details.uid, failureText(result.reason)), 401);
    const account = result.account;
    if (account.hasTotp || (await passkeys.count(account.id)) > 0) return secondFactor(reply, details, account);
    // Required for practitioners and the office; a resident may ask for one at the password page.
    if (SECOND_FACTOR_REQUIRED.has(account.kind) || body.setup_second_factor === 'yes') {
      const { secret, uri } = accounts.newTotpSecret(account);
      await saveStage(details, { stage: 'enrol-totp', accountId: account.id, secret, uri });
      return html(reply, enrolPage(details.uid, secret, uri));
    }
    return chooseFacility(request, reply, details, account, ['pwd']);
  });

  app.post('/login/:uid/totp', async (request, reply) => {
    const details = await detailsOf(request, reply);
    const stage = details?.result?.tonet;
    if (!details || stage?.stage !== 'second-factor') return expired(reply);
    const body = (request.body ?? {}) as Record<string, string>;
    const result = await logins.checkCode(attemptOf(request, details), stage.accountId, String(body.code ?? ''));
    if (!result.ok) return html(reply, secondFactorPage(details.uid, stage.passkeyOptions, failureText(result.reason)), 401);
    return afterSecondFactor(request, reply, details, result.account, ['pwd', 'otp'], body.register_passkey === 'yes');
  });

  app.post('/login/:uid/passkey', async (request, reply) => {
    const details = await detailsOf(request, reply);
    const stage = details?.result?.tonet;
    if (!details || stage?.stage !== 'second-factor' || !stage.passkeyChallenge) return expired(reply);
    const answer = credentialOf(request.body) as AuthenticationResponseJSON | undefined;
    const result = await logins.checkPasskey(attemptOf(request, details), stage.accountId, stage.passkeyChallenge, answer);
    if (!result.ok) {
      if (!result.account) return expired(reply);
      return secondFactor(reply, details, result.account, failureText(result.reason));
    }
    return afterSecondFactor(request, reply, details, result.account, ['pwd', 'hwk'], false);
  });

  app.post('/login/:uid/passkey/register', async (request, reply) => {
    const details = await detailsOf(request, reply);
    const stage = details?.result?.tonet;
    const account = stage?.stage === 'register-passkey' ? await accounts.byId(stage.accountId) : undefined;
    if (!details || stage?.stage !== 'register-passkey' || !account) return expired(reply);
    if (!(await logins.registerPasskey(attemptOf(request, details), account, stage.challenge, credentialOf(request.body) as RegistrationResponseJSON | undefined))) {
      return html(reply, registerPasskeyPage(details.uid, stage.options, 'パスキーを登録できませんでした。 The passkey could not be registered.'), 400);
    }
    return chooseFacility(request, reply, details, account, stage.amr);
  });

  app.post('/login/:uid/enrol', async (request, reply) => {
    const details = await detailsOf(request, reply);
    const stage = details?.result?.tonet;
    if (!details || stage?.stage !== 'enrol-totp') return expired(reply);
    const codes = await logins.enrolTotp(attemptOf(request, details), stage.accountId, stage.secret, String((request.body as Record<string, string>)?.code ?? ''));
    if (!codes) return html(reply, enrolPage(details.uid, stage.secret, stage.uri, 'コードが違います。 The code is not right.'), 401);
    await saveStage(details, { stage: 'recovery-codes', accountId: stage.accountId, codes });
    return html(reply, recoveryCodesPage(details.uid, codes));
  });

  /** Past the recovery codes (a passkey may follow), or past the offer of a passkey without one. */
  app.post('/login/:uid/continue', async (request, reply) => {
    const details = await detailsOf(request, reply);
    const stage = details?.result?.tonet;
    const account = stage?.stage === 'recovery-codes' || stage?.stage === 'register-passkey' ? await accounts.byId(stage.accountId) : undefined;
    if (!details || !stage || !account) return expired(reply);
    if (stage.stage === 'register-passkey') return chooseFacility(request, reply, details, account, stage.amr);
    return afterSecondFactor(request, reply, details, account, ['pwd', 'otp'], (request.body as Record<string, string> | undefined)?.register_passkey === 'yes');
  });

  app.post('/login/:uid/facility', async (request, reply) => {
    const details = await detailsOf(request, reply);
    const stage = details?.result?.tonet;
    const account = stage?.stage === 'facility' ? await accounts.byId(stage.accountId) : undefined;
    if (!details || stage?.stage !== 'facility' || !account) return expired(reply);
    const organization = String((request.body as Record<string, string>)?.organization ?? '');
    if (!assignmentFor(account, organization)) return html(reply, await facilityPage(details.uid, account, '施設を選んでください。 Choose a facility.'), 400);
    return finishLogin(request, reply, details, account, organization, stage.amr);
  });

  /** First-party apps are consented by the network; others show what they ask for. */
  const consentStep = async (request: FastifyRequest, reply: FastifyReply, details: Details) => {
    const launch = await ehrLaunchOf(details);
    if (launch === null) return refuseLaunch(request, reply, details);
    if (FIRST_PARTY_CLIENTS.has(String(details.params.client_id))) return grantConsent(request, reply, details, launch?.patient);
    return html(reply, consentPage(details.uid, await clientName(details), scopesOf(details), !launch && (await asksPatientPick(details)), launch?.patient));
  };
  const scopesOf = (details: Details) => String(details.params.scope ?? '').split(' ').filter(Boolean);
  /** A practitioner launching a patient app standalone picks the patient; a resident's patient is themself. */
  const asksPatientPick = async (details: Details) => scopesOf(details).includes('launch/patient') && (await accounts.byId(details.session!.accountId))?.kind !== 'resident';
  /**
   * The EHR launch an app was opened with (scope `launch` and the `launch` parameter): undefined when there
   * is none, null when it is unknown, expired or another person's (the login then ends without a code).
   */
  const ehrLaunchOf = async (details: Details): Promise<EhrLaunch | undefined | null> => {
    const id = details.params.launch;
    if (!id || !scopesOf(details).includes('launch')) return undefined;
    const account = await accounts.byId(details.session!.accountId);
    return (await launches.find(id, account?.practitioner)) ?? null;
  };
  const refuseLaunch = async (request: FastifyRequest, reply: FastifyReply, details: Details) => {
    await logins.refused(attemptOf(request, details), details.session!.accountId, "EHR launch unknown, expired or not this person's");
    return finish(request, reply, { error: 'invalid_request', error_description: 'The launch is unknown, expired or was opened by someone else' });
  };
  const grantConsent = async (request: FastifyRequest, reply: FastifyReply, details: Details, patient?: string) => {
    const accountId = details.session!.accountId;
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId: details.params.client_id });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId: string = await grant.save();
    const launch = await ehrLaunchOf(details);
    if (launch) await launches.spend(details.params.launch!);
    // An EHR launch acts at the facility the practitioner opened it from.
    const organization = launch?.organization ?? details.lastSubmission?.tonet?.organization ?? (details.session ? await facilities.forSession(details.session.uid) : undefined);
    await facilities.remember(grantId, { organization, patient }, sessionSeconds);
    if (organization && details.session) await facilities.rememberForSession(details.session.uid, organization, sessionSeconds);
    return finish(request, reply, { consent: { grantId } });
  };

  app.post('/login/:uid/consent', async (request, reply) => {
    const details = await detailsOf(request, reply);
    if (!details || details.prompt.name !== 'consent' || !details.session) return expired(reply);
    const body = (request.body ?? {}) as Record<string, string>;
    if (body.decision !== 'allow') {
      await logins.refused(attemptOf(request, details), details.session.accountId, 'app not allowed');
      return finish(request, reply, { error: 'access_denied', error_description: 'The person did not allow the app' });
    }
    const launch = await ehrLaunchOf(details);
    if (launch === null) return refuseLaunch(request, reply, details);
    let patient = launch?.patient;
    if (!launch && (await asksPatientPick(details))) {
      const id = String(body.patient ?? '').trim().replace(/^Patient\//, '');
      if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) return html(reply, consentPage(details.uid, await clientName(details), scopesOf(details), true, undefined, '患者IDを入力してください。 Enter the patient id.'), 400);
      patient = `Patient/${id}`;
    }
    return grantConsent(request, reply, details, patient);
  });
}

function failureText(reason: 'unknown' | 'locked' | 'inactive' | 'wrong'): string {
  if (reason === 'locked') return '失敗が続いたため、このアカウントは一時的にロックされています。しばらくしてから試すか、ネットワーク事務局に連絡してください。 Too many failed attempts: this account is locked for a while. Try later or contact the network office.';
  return 'ユーザー名、パスワードまたはコードが違います。 The username, password or code is not right.';
}

function passwordPage(uid: string, error?: string): string {
  return page(
    'ログイン Log in',
    form(
      `/login/${uid}/password`,
      [
        { name: 'username', label: both('ユーザー名', 'Username'), autocomplete: 'username' },
        { name: 'password', label: both('パスワード', 'Password'), type: 'password', autocomplete: 'current-password' },
      ],
      checkbox('setup_second_factor', both('認証アプリを設定する（まだの方）', 'Set up an authenticator app (if you have none)')) + button(both('次へ', 'Next'))
    ),
    error
  );
}

function secondFactorPage(uid: string, passkeyOptions: unknown, error?: string): string {
  return page(
    '確認コード Verification code',
    `<p>${both('認証アプリの6桁のコード、または回復コードを入力してください。', 'Enter the 6-digit code from your authenticator app, or a recovery code.')}</p>` +
      form(`/login/${uid}/totp`, [{ name: 'code', label: both('コード', 'Code'), autocomplete: 'one-time-code', inputmode: 'numeric' }], registerPasskeyChoice() + button(both('ログイン', 'Log in'))) +
      (passkeyOptions ? `<p>${both('または、登録したパスキーで確認します。', 'Or confirm with a passkey you registered.')}</p>` + passkeyForm(`/login/${uid}/passkey`, 'authenticate', passkeyOptions, PASSKEY_LOGIN_LABEL) : ''),
    error
  );
}

/** Asked beside the code: a passkey is registered only by someone who has just shown both factors. */
function registerPasskeyChoice(): string {
  return checkbox('register_passkey', both('このあとパスキーを登録する', 'Register a passkey after this'));
}

function checkbox(name: string, label: string): string {
  return `<div><input type="checkbox" id="${name}" name="${name}" value="yes" style="width:auto"> <label for="${name}" style="display:inline">${label}</label></div>`;
}

function registerPasskeyPage(uid: string, options: unknown, error?: string): string {
  return page(
    'パスキーの登録 Register a passkey',
    `<p>${both('この端末の生体認証や画面ロック、またはセキュリティキーをパスキーとして登録します。次回から確認コードの代わりに使えます。', "Register this device's biometrics or screen lock, or a security key, as a passkey. Next time it can stand in for the code.")}</p>` +
      passkeyForm(`/login/${uid}/passkey/register`, 'register', options, PASSKEY_REGISTER_LABEL) +
      form(`/login/${uid}/continue`, [], button(both('今はしない', 'Not now'), undefined, undefined, true)),
    error
  );
}

/** The browser's WebAuthn answer, posted as JSON in the form's `credential` field. */
function credentialOf(body: unknown): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(String((body as Record<string, string> | undefined)?.credential ?? ''));
    return parsed && typeof parsed === 'object' && typeof parsed.id === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function enrolPage(uid: string, secret: string, uri: string, error?: string): string {
  return page(
    '認証アプリの登録 Set up an authenticator app',
    `<p>${both('医療情報にアクセスするには二要素認証が必要です。認証アプリにこの鍵を登録し、表示されたコードを入力してください。', 'Two factors are required to reach medical information. Add this key to your authenticator app and enter the code it shows.')}</p>
<p>${both('鍵', 'Key')}: <code id="totp-secret">${escapeHtml(secret)}</code></p>
<p><a href="${escapeHtml(uri)}">${both('認証アプリで開く', 'Open in an authenticator app')}</a></p>` +
      form(`/login/${uid}/enrol`, [{ name: 'code', label: both('コード', 'Code'), autocomplete: 'one-time-code', inputmode: 'numeric' }], button(both('登録', 'Confirm'))),
    error
  );
}

function recoveryCodesPage(uid: string, codes: string[]): string {
  return page(
    '回復コード Recovery codes',
    `<p>${both('認証アプリが使えないときのための回復コードです。各コードは一度だけ使えます。安全な場所に保管してください。この画面は二度と表示されません。', 'Use these if you lose your authenticator app. Each works once. Keep them somewhere safe: they are not shown again.')}</p>
<ul id="recovery-codes">${codes.map((c) => `<li><code>${escapeHtml(c)}</code></li>`).join('')}</ul>` + form(`/login/${uid}/continue`, [], registerPasskeyChoice() + button(both('保管しました', 'I have kept them')))
  );
}

/** Jobs as the person reads them. */
const JOB_NAMES: Record<string, string> = { doctor: '医師 doctor', nurse: '看護師 nurse', clerk: '受付 desk', emergency: '救急隊 emergency crew' };

function facilityChoicePage(uid: string, account: Account, names: (string | undefined)[], error?: string): string {
  const options = account.facilities
    .map(
      (f, i) =>
        `<div><input type="radio" id="facility-${i}" name="organization" value="${escapeHtml(f.organization)}" required${i === 0 ? ' checked' : ''} style="width:auto"> <label for="facility-${i}" style="display:inline">${escapeHtml(names[i] ?? f.organization)} <span class="en">${escapeHtml(JOB_NAMES[f.role] ?? f.role)} · ${escapeHtml(f.organization)}</span></label></div>`
    )
    .join('\n');
  return page(
    '施設の選択 Choose a facility',
    `<form method="post" action="/login/${uid}/facility"><fieldset><legend>${both('どの施設として作業しますか。', 'Which facility are you working for?')}</legend>${options}</fieldset>${button(both('続ける', 'Continue'))}</form>`,
    error
  );
}

function consentPage(uid: string, clientName: string, scopes: string[], pickPatient: boolean, launchedPatient?: string, error?: string): string {
  const patientField = pickPatient
    ? `<label for="patient">${both('患者ID', 'Patient id')}</label><input id="patient" name="patient" type="text" autocomplete="off">`
    : launchedPatient
      ? `<p>${both('患者', 'Patient')}: <code id="launch-patient">${escapeHtml(launchedPatient)}</code></p>`
      : '';
  return page(
    'アクセスの許可 Allow access',
    `<p>${both(`「${clientName}」が次のアクセスを求めています。`, `"${clientName}" asks for the following access.`)}</p>
<ul id="scopes">${scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('')}</ul>
<p>${both('許可しても、同意の設定で見られない情報は見られません。', 'Even when allowed, the app sees nothing your consent settings withhold.')}</p>
<form method="post" action="/login/${uid}/consent">${patientField}${button(both('許可する', 'Allow'), 'decision', 'allow')}${button(both('許可しない', 'Deny'), 'decision', 'deny', true)}</form>`,
    error
  );
}
