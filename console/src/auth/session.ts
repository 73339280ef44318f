/**
 * Who is signed in: the one module that knows how the console gets its access token. People log in at
 * Tonet's OpenID Connect provider (authorization code with PKCE, public client `tonet-console`, redirected
 * back to /console/); a bearer token from /oauth2/token (a facility's client) may also be pasted.
 */
const STORAGE_KEY = 'tonet.console.token';
const LOGIN_KEY = 'tonet.console.login';
// The ID token of a person's login, kept only to name that login when ending it at the provider.
const ID_TOKEN_KEY = 'tonet.console.idToken';
const CLIENT_ID = 'tonet-console';
const SCOPE = 'openid profile fhirUser user/*.cruds';

const redirectUri = () => `${location.origin}/console/`;

function base64url(bytes: ArrayBuffer | Uint8Array): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Sends the browser to the login pages with a fresh PKCE verifier and state kept for the way back. */
export async function startLogin(): Promise<void> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(LOGIN_KEY, JSON.stringify({ verifier, state }));
  const url = new URL('/oidc/auth', location.origin);
  for (const [key, value] of Object.entries({ client_id: CLIENT_ID, redirect_uri: redirectUri(), response_type: 'code', scope: SCOPE, state, code_challenge: challenge, code_challenge_method: 'S256' })) {
    url.searchParams.set(key, value);
  }
  location.assign(url.toString());
}

/** Back from the login pages with ?code=…&state=…: exchanges the code for the person's token. */
export async function completeLogin(): Promise<boolean> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const started = JSON.parse(sessionStorage.getItem(LOGIN_KEY) ?? 'null') as { verifier: string; state: string } | null;
  if (!code || !started) return false;
  sessionStorage.removeItem(LOGIN_KEY);
  history.replaceState(null, '', '/console/');
  if (params.get('state') !== started.state) throw new Error('The login answer does not match the login this page started');
  const res = await fetch('/oidc/token', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri(), client_id: CLIENT_ID, code_verifier: started.verifier }),
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: string; id_token?: string; error_description?: string };
  if (!res.ok || !body.access_token) throw new Error(body.error_description ?? `Login failed (HTTP ${res.status})`);
  signIn(body.access_token);
  if (body.id_token) sessionStorage.setItem(ID_TOKEN_KEY, body.id_token);
  return true;
}

export function currentToken(): string | undefined {
  return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
}

export function signIn(token: string): void {
  sessionStorage.setItem(STORAGE_KEY, token.trim());
  sessionStorage.removeItem(ID_TOKEN_KEY);
}

/**
 * Forgets the token here and, for a person's login, ends it at the provider too (RP-initiated logout, the
 * discovery document's end_session_endpoint): otherwise the provider's session would log the next visitor of
 * this browser straight back in without a password. The provider asks to confirm and sends the browser back
 * to /console/.
 */
export function signOut(): void {
  const idToken = sessionStorage.getItem(ID_TOKEN_KEY);
  sessionStorage.removeItem(STORAGE_KEY);
  sessionStorage.removeItem(ID_TOKEN_KEY);
  if (!idToken) return;
  const url = new URL('/oidc/session/end', location.origin);
  url.searchParams.set('id_token_hint', idToken);
  url.searchParams.set('post_logout_redirect_uri', redirectUri());
  url.searchParams.set('client_id', CLIENT_ID);
  location.assign(url.toString());
}

export interface SignedInPerson {
  name: string;
  role: string;
  organization?: string;
  patient?: string;
}

/** The claims of the token, read only to choose which screens to show; the server decides what is allowed. */
export function signedInPerson(token: string): SignedInPerson | undefined {
  try {
    const bytes = Uint8Array.from(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    // A person's token names the person in person_name (name is the app's, as for a client's token).
    return { name: String(payload.person_name ?? payload.name ?? payload.sub ?? ''), role: String(payload.role ?? ''), organization: payload.org as string | undefined, patient: payload.pat as string | undefined };
  } catch {
    return undefined;
  }
}
