/**
 * One error type for the whole server: an HTTP status plus the OperationOutcome that explains it.
 * Raised anywhere; turned into a response in exactly one place (the HTTP error handler).
 */
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

type IssueType = OperationOutcomeIssue['code'];

export class FhirError extends Error {
  /** The code that refused recorded the refusal's audit entry itself (see `recordedRefusal`). */
  recorded = false;

  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome
  ) {
    super(outcome.issue?.map((i) => i.diagnostics ?? i.details?.text).join('; ') || `HTTP ${status}`);
  }
}

/**
 * A refusal whose audit entry was recorded where it was decided (an emergency declaration refused, a card
 * link that failed: entries a rate limit counts): the transport adds no second one.
 */
export function recordedRefusal<E extends FhirError>(err: E): E {
  err.recorded = true;
  return err;
}

export function outcome(severity: OperationOutcomeIssue['severity'], code: IssueType, text: string, expression?: string[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity, code, details: { text }, diagnostics: text, ...(expression?.length ? { expression } : {}) }],
  };
}

function fail(status: number, code: IssueType, text: string, expression?: string[]): FhirError {
  return new FhirError(status, outcome('error', code, text, expression));
}

export const badRequest = (text: string, expression?: string[]): FhirError => fail(400, 'invalid', text, expression);
export const unauthorized = (text: string): FhirError => fail(401, 'login', text);
export const forbidden = (text: string): FhirError => fail(403, 'forbidden', text);
export const notFound = (text: string): FhirError => fail(404, 'not-found', text);
export const methodNotAllowed = (text: string): FhirError => fail(405, 'not-supported', text);
export const conflict = (text: string): FhirError => fail(409, 'conflict', text);
export const gone = (text: string): FhirError => fail(410, 'deleted', text);
export const preconditionFailed = (text: string): FhirError => fail(412, 'conflict', text);
export const tooLarge = (text: string): FhirError => fail(413, 'too-costly', text);
export const unsupportedMediaType = (text: string): FhirError => fail(415, 'not-supported', text);
export const unprocessable = (issues: OperationOutcomeIssue[]): FhirError =>
  new FhirError(422, { resourceType: 'OperationOutcome', issue: issues });
export const tooManyRequests = (text: string): FhirError => fail(429, 'throttled', text);

export const allOk = (text: string): OperationOutcome => outcome('information', 'informational', text);

/**
 * decodeURIComponent for a value a client sent: a 400 naming the field instead of an uncaught URIError, and
 * for a control character other than tab, CR and LF, which no FHIR string may hold (and PostgreSQL's text
 * refuses: NUL reached SQL and answered 500).
 */
export function decodeClientComponent(value: string, field: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    throw badRequest(`${field} is not valid percent-encoded UTF-8`, [field]);
  }
  const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.exec(decoded);
  if (control) throw badRequest(`${field} holds the control character U+${control[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}, which no FHIR value may contain`, [field]);
  return decoded;
}
