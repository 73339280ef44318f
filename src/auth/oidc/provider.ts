/**
 * The OpenID Connect / OAuth 2.0 authorization server: oidc-provider (certified, maintained) configured for
 * Tonet. Authorization code with PKCE only, refresh tokens rotated at every use, RP-initiated logout,
 * introspection and revocation, sessions with an idle and an absolute limit. Access tokens for the FHIR API
 * are JWTs signed with Tonet's one key and carry the same claims as client-credentials tokens (role,
 * facility, resident) plus the person, so the API has one verifier. Login, second factor, facility and
 * consent are Tonet's own pages (interactions.ts). Vendors' systems use SMART Backend Services: the
 * client-credentials grant here with a `private_key_jwt` assertion (RS384 or ES384) checked against the
 * JWKS the office registered, `system/` scopes only, and the role and facility the office gave the client.
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccountStore } from '../accounts';
import type { TokenService } from '../tokens';
import type { OidcPayloads } from '../../store/oidc-payloads';
import { claimsForPerson, FacilityChoices } from './claims';
import { LaunchContexts } from './launch';
import { both, page } from './pages';
import { smartScopesOf } from '../../consent/scopes';

/* eslint-disable @typescript-eslint/no-explicit-any -- oidc-provider ships no types; its surface is used here only. */
export type OidcProvider = any;
type KoaContext = any;

export interface OidcSettings {
  baseUrl: string;
  sessionIdleSeconds: number;
  sessionAbsoluteSeconds: number;
  accessTokenSeconds: number;
}

/** The console (issue 16): a public browser client, PKCE, same origin, first party (no consent screen). */
export const CONSOLE_CLIENT_ID = 'tonet-console';
export const FIRST_PARTY_CLIENTS = new Set([CONSOLE_CLIENT_ID]);

/** OpenID and SMART scopes the provider knows by name; resource scopes (patient/Observation.rs …) are parsed by grammar. */
export const STATIC_SCOPES = ['openid', 'profile', 'fhirUser', 'offline_access', 'launch', 'launch/patient'];

/** Client assertion algorithms SMART Backend Services names. */
export const BACKEND_ASSERTION_ALGS = ['RS384', 'ES384'];
/** SMART Backend Services recommends access tokens of five minutes at most. */
const BACKEND_TOKEN_SECONDS = 300;

/** A backend service's token says what the office registered it as, like a client-credentials token. */
function backendClaims(client: { clientName?: string; clientId: string; tonet_role?: string; tonet_organization?: string }): Record<string, unknown> {
  return { role: client.tonet_role, name: client.clientName ?? client.clientId, svc: true, ...(client.tonet_organization ? { org: client.tonet_organization } : {}) };
}

/** The apps and backend services the office registered with the provider. */
export interface RegisteredApps {
  register(metadata: Record<string, unknown> & { client_id: string }): Promise<void>;
  /** Ends the app and every token it holds; false when no such app was registered. */
  remove(clientId: string): Promise<boolean>;
}

export function oidcIssuer(baseUrl: string): string {
  return `${baseUrl}/oidc`;
}

export function createOidcProvider(
  payloads: OidcPayloads,
  accounts: AccountStore,
  tokens: TokenService,
  settings: OidcSettings
): {
  provider: OidcProvider;
  facilities: FacilityChoices;
  launches: LaunchContexts;
  revokeAccount(accountId: string): Promise<void>;
  apps: RegisteredApps;
} {
  const { default: Provider } = require('oidc-provider') as { default: new (issuer: string, config: unknown) => OidcProvider };
  const Adapter = payloads.adapter();
  const facilities = new FacilityChoices(new Adapter('FacilityChoice'));
  const fhirBase = `${settings.baseUrl}/fhir`;
  const remaining = (startedAt: number | undefined) => settings.sessionAbsoluteSeconds - (Math.floor(Date.now() / 1000) - (startedAt ?? Math.floor(Date.now() / 1000)));
  // Never longer than the idle limit, never past the absolute limit counted from the login.
  const bounded = (startedAt: number | undefined, idle = settings.sessionIdleSeconds) => Math.max(1, Math.min(idle, remaining(startedAt)));
  const signingJwk = { ...tokens.key.privateJwk, kid: tokens.key.kid, alg: 'ES256', use: 'sig' };

  const provider = new Provider(oidcIssuer(settings.baseUrl), {
    adapter: Adapter,
    clients: [
      {
        client_id: CONSOLE_CLIENT_ID,
        client_name: 'Tonet console',
        token_endpoint_auth_method: 'none',
        application_type: 'web',
        redirect_uris: [`${settings.baseUrl}/console/`],
        post_logout_redirect_uris: [`${settings.baseUrl}/console/`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    // One key, P-256: every token and ID token is ES256.
    clientDefaults: { id_token_signed_response_alg: 'ES256', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'] },
    jwks: { keys: [signingJwk] },
    cookies: { keys: [createHmac('sha256', String(tokens.key.privateJwk.d)).update('tonet oidc cookies').digest('base64url')] },
    findAccount: async (_ctx: KoaContext, sub: string) => {
      const account = await accounts.byId(sub);
      if (!account || account.status !== 'active') return undefined;
      const fhirUser = account.practitioner ?? account.patient;
      return { accountId: sub, claims: async () => ({ sub, name: account.displayName, ...(fhirUser ? { fhirUser: `${fhirBase}/${fhirUser}` } : {}) }) };
    },
    claims: { openid: ['sub'], profile: ['name'], fhirUser: ['fhirUser'] },
    // SMART Backend Services asks servers for RS384 and ES384 client assertions.
    enabledJWA: { clientAuthSigningAlgValues: [...BACKEND_ASSERTION_ALGS, 'RS256', 'ES256'] },
    // What a backend service acts as, set by the office at registration (app-routes.ts).
    extraClientMetadata: { properties: ['tonet_role', 'tonet_organization'] },
    scopes: STATIC_SCOPES,
    responseTypes: ['code'],
    // SMART: an EHR launch's context id, and the FHIR server the app was launched against.
    extraParams: ['launch', 'aud'],
    pkce: { required: () => true },
    rotateRefreshToken: true,
    // Apps allowed the refresh_token grant get one even without offline_access (which oidc-provider would
    // only honour with prompt=consent); without offline_access it ends with the login session.
    issueRefreshToken: async (_ctx: KoaContext, client: { grantTypeAllowed(grant: string): boolean }) => client.grantTypeAllowed('refresh_token'),
    interactions: { url: (_ctx: KoaContext, interaction: { uid: string }) => `/login/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // A client may ask about, or revoke, only its own tokens.
      introspection: { enabled: true, allowedPolicy: sameClient },
      revocation: { enabled: true, allowedPolicy: sameClient },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => fhirBase,
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx: KoaContext, resource: string) => {
          if (resource !== fhirBase) throw new (require('oidc-provider').errors.InvalidTarget)();
          if (ctx.oidc.params?.grant_type === 'client_credentials') {
            // A system acts on its own: system/ scopes only (a token without any would not be narrowed, so
            // none is issued), and short-lived, as it has no grant that could be revoked.
            const scope = smartScopesOf(String(ctx.oidc.params.scope ?? '')).filter((s) => s.startsWith('system/')).join(' ');
            if (!scope) throw new (require('oidc-provider').errors.InvalidScope)('a backend service asks for system/ scopes (e.g. system/Observation.rs)', 'scope');
            return { scope, audience: fhirBase, accessTokenFormat: 'jwt', accessTokenTTL: Math.min(BACKEND_TOKEN_SECONDS, settings.accessTokenSeconds), jwt: { sign: { alg: 'ES256' } } };
          }
          const requested = [ctx.oidc.params?.scope, ctx.oidc.entities?.AuthorizationCode?.scope, ctx.oidc.entities?.RefreshToken?.scope, ctx.oidc.entities?.Grant?.getResourceScopeEncountered?.(fhirBase)]
            .filter((s): s is string => typeof s === 'string')
            .join(' ');
          return { scope: [...new Set([...smartScopesOf(requested), 'launch', 'launch/patient', 'fhirUser', 'offline_access'])].join(' '), audience: fhirBase, accessTokenFormat: 'jwt', accessTokenTTL: settings.accessTokenSeconds, jwt: { sign: { alg: 'ES256' } } };
        },
      },
    },
    extraTokenClaims: async (ctx: KoaContext, token: { kind?: string; accountId?: string; grantId?: string; clientId?: string }) => {
      if (token.kind === 'ClientCredentials') return backendClaims(ctx.oidc.client);
      if (!token.accountId) return undefined;
      const account = await accounts.byId(token.accountId);
      if (!account || account.status !== 'active') return undefined;
      return claimsForPerson(account, token.grantId ? await facilities.forGrant(token.grantId) : {}, token.grantId, String(ctx.oidc.client?.clientName ?? token.clientId));
    },
    ttl: {
      Session: (_ctx: KoaContext, session: { loginTs?: number }) => bounded(session.loginTs),
      Interaction: 10 * 60,
      AuthorizationCode: 60,
      // Saving the grant again (at a refresh) must not move its end: counted from when it was first made.
      Grant: (_ctx: KoaContext, grant: { iat?: number }) => Math.max(1, remaining(grant.iat)),
      AccessToken: settings.accessTokenSeconds,
      ClientCredentials: Math.min(BACKEND_TOKEN_SECONDS, settings.accessTokenSeconds),
      IdToken: settings.accessTokenSeconds,
      RefreshToken: (_ctx: KoaContext, token: { iat?: number; rotations?: number; totalLifetime?: () => number }) =>
        Math.max(1, Math.min(settings.sessionIdleSeconds, settings.sessionAbsoluteSeconds - (token.totalLifetime?.() ?? 0))),
    },
    clientBasedCORS: (_ctx: KoaContext, origin: string, client: { redirectUris?: string[] }) => (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
    renderError: (ctx: KoaContext, out: { error: string; error_description?: string }) => {
      ctx.type = 'html';
      ctx.body = page('エラー Error', `<p>${both('ログインを続けられませんでした。', 'The login could not continue.')}</p><p><code>${escape(out.error)}</code> ${escape(out.error_description ?? '')}</p>`);
    },
  });
  provider.proxy = true;
  tokens.checkGrantsWith(async (grantId) => (await new Adapter('Grant').find(grantId)) !== undefined);
  tokens.checkServicesWith(async (clientId) => (await new Adapter('Client').find(clientId)) !== undefined);
  provider.use(revokeGrantOfRevokedAccessToken(tokens, new Adapter('Grant')));
  provider.use(launchContextInTokenResponse(tokens));
  const apps = new Adapter('Client');
  return {
    provider,
    facilities,
    launches: new LaunchContexts(new Adapter('Launch')),
    revokeAccount: (accountId: string) => payloads.revokeAllOf(accountId),
    apps: {
      register: (metadata) => apps.upsert(metadata.client_id, metadata),
      remove: (clientId) => payloads.removeClient(clientId),
    },
  };
}

/**
 * Access tokens are JWTs the provider does not store, so it refuses to revoke one (RFC 7009 leaves that to
 * the server). Tonet ends the token's grant instead, which ends the token (tokens.ts) and its refresh token
 * at once, and answers 200 as for any other revocation. The asking client must be the token's own client.
 */
function revokeGrantOfRevokedAccessToken(tokens: TokenService, grants: { revokeByGrantId(grantId: string): Promise<void> }) {
  return async (ctx: KoaContext, next: () => Promise<void>) => {
    await next();
    if (ctx.oidc?.route !== 'revocation' || ctx.body?.error !== 'unsupported_token_type' || !ctx.oidc.client || typeof ctx.oidc.params?.token !== 'string') return;
    let claims;
    try {
      claims = tokens.verify(ctx.oidc.params.token);
    } catch {
      return;
    }
    if (claims.grantId && claims.clientId === ctx.oidc.client.clientId) await grants.revokeByGrantId(claims.grantId);
    ctx.status = 200;
    ctx.body = '';
  };
}

/** SMART App Launch: the token response names the patient in context (`patient`, the id only) beside the token. */
function launchContextInTokenResponse(tokens: TokenService) {
  return async (ctx: KoaContext, next: () => Promise<void>) => {
    await next();
    if (ctx.oidc?.route !== 'token' || ctx.status !== 200 || typeof ctx.body?.access_token !== 'string') return;
    const claims = tokens.key.verify(ctx.body.access_token);
    const scopes = String(ctx.body.scope ?? '').split(' ');
    if (typeof claims.launch_patient === 'string' && (scopes.includes('launch/patient') || scopes.includes('launch'))) ctx.body = { ...ctx.body, patient: claims.launch_patient.replace(/^Patient\//, '') };
  };
}

/** Hands a request under /oidc to the provider as if it were mounted there (it reads originalUrl to know its prefix). */
export function oidcCallback(provider: OidcProvider): (req: IncomingMessage & { originalUrl?: string }, res: ServerResponse) => void {
  const callback = provider.callback();
  return (req, res) => {
    req.originalUrl = req.url;
    req.url = req.url!.slice('/oidc'.length) || '/';
    callback(req, res);
  };
}

async function sameClient(_ctx: KoaContext, client: { clientId: string }, token: { clientId?: string }): Promise<boolean> {
  return token.clientId === client.clientId;
}

function escape(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function logoutSource(ctx: KoaContext, form: string): Promise<void> {
  ctx.type = 'html';
  ctx.body = page(
    'ログアウト Log out',
    `${form}<p>${both('Tonet からログアウトしますか。', 'Do you want to log out of Tonet?')}</p>
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>ログアウト <span lang="en">Log out</span></button>
<button type="submit" form="op.logoutForm" class="secondary">ログインしたままにする <span lang="en">Stay logged in</span></button>`
  );
}

async function postLogoutSuccessSource(ctx: KoaContext): Promise<void> {
  ctx.type = 'html';
  ctx.body = page('ログアウトしました Logged out', `<p>${both('ログアウトしました。', 'You have been logged out.')}</p>`);
}
