/**
 * Who is signed in: the one module that knows how the console gets its access token. Until the OIDC
 * login (authorization code + PKCE, client `tonet-console`) is in Tonet, a person signs in with a bearer
 * token issued by /oauth2/token; switching to OIDC replaces this file only.
 */
const STORAGE_KEY = 'tonet.console.token';

export function currentToken(): string | undefined {
  return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
}

export function signIn(token: string): void {
  sessionStorage.setItem(STORAGE_KEY, token.trim());
}

export function signOut(): void {
  sessionStorage.removeItem(STORAGE_KEY);
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
    return { name: String(payload.name ?? payload.sub ?? ''), role: String(payload.role ?? ''), organization: payload.org as string | undefined, patient: payload.pat as string | undefined };
  } catch {
    return undefined;
  }
}
