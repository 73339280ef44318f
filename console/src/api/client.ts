/** Tonet's public APIs, called with the signed-in person's token: GraphQL at /graphql and FHIR at /fhir. */
import { currentToken } from '../auth/session';

export class ApiError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

function authorization(): Record<string, string> {
  const token = currentToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/**
 * `purposeOfUse` declares an HL7 v3 purpose of use other than treatment for this request (the server reads
 * X-Purpose-Of-Use): ETREAT for emergency access.
 */
export async function graphql<T>(query: string, variables: Record<string, unknown> = {}, purposeOfUse?: string): Promise<T> {
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authorization(), ...(purposeOfUse ? { 'x-purpose-of-use': purposeOfUse } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json().catch(() => ({}))) as { data?: T; errors?: { message: string; extensions?: { status?: number } }[] };
  // A refusal comes back with HTTP 200 and its own status in the error's extensions (FHIR errors keep theirs).
  if (body.errors?.length) throw new ApiError(body.errors.map((e) => e.message).join('; '), body.errors[0].extensions?.status ?? res.status);
  if (!res.ok || !body.data) throw new ApiError(`HTTP ${res.status}`, res.status);
  return body.data;
}

interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue?: { diagnostics?: string; details?: { text?: string } }[];
}

export async function fhir<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`/fhir/${path}`, {
    method: init.method ?? 'GET',
    headers: { accept: 'application/fhir+json', ...(init.body ? { 'content-type': 'application/fhir+json' } : {}), ...authorization() },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  const body = (await res.json().catch(() => undefined)) as T | OperationOutcome | undefined;
  if (!res.ok) {
    throw new ApiError(outcomeText(body as OperationOutcome | undefined) || `HTTP ${res.status}`, res.status);
  }
  return body as T;
}

/** The network office's JSON endpoints under /admin (errors are OperationOutcomes, as from /fhir). */
export async function admin<T>(path: string, init: { method?: string; body?: string; contentType?: string } = {}): Promise<T> {
  const res = await fetch(`/admin/${path}`, {
    method: init.method ?? 'GET',
    headers: { accept: 'application/json', ...(init.body !== undefined ? { 'content-type': init.contentType ?? 'application/json' } : {}), ...authorization() },
    body: init.body,
  });
  const body = (await res.json().catch(() => undefined)) as T | OperationOutcome | undefined;
  if (!res.ok) throw new ApiError(outcomeText(body as OperationOutcome | undefined) || `HTTP ${res.status}`, res.status);
  return body as T;
}

function outcomeText(outcome: OperationOutcome | undefined): string | undefined {
  return outcome?.issue?.map((i) => i.diagnostics ?? i.details?.text).filter(Boolean).join('; ');
}
