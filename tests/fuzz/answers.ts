/**
 * What every fuzzed HTTP answer must be: never a 5xx, and a 4xx always says why — an OperationOutcome's
 * diagnostics, a GraphQL error's message, or, for STOW-RS, an Error Comment (0000,0902) on every Failed SOP item.
 */
interface Refusal {
  resourceType?: string;
  issue?: { diagnostics?: string; details?: { text?: string } }[];
  errors?: { message?: string }[];
  '00081198'?: { Value?: { '00000902'?: { Value?: string[] } }[] };
}

function reasonOf(body: Refusal): string | undefined {
  if (body.resourceType === 'OperationOutcome') return body.issue?.[0]?.diagnostics ?? body.issue?.[0]?.details?.text;
  const failedSops = body['00081198']?.Value;
  if (failedSops) return failedSops.length && failedSops.every((item) => item['00000902']?.Value?.[0]) ? failedSops.map((item) => item['00000902']?.Value?.[0]).join('; ') : undefined;
  return body.errors?.[0]?.message;
}

export async function expectNoServerError(res: Response, what: string): Promise<void> {
  const text = await res.text();
  if (res.status >= 500) throw new Error(`${what} answered ${res.status}: ${text.slice(0, 300)}`);
  if (res.status < 400) return;
  let body: Refusal;
  try {
    body = JSON.parse(text) as Refusal;
  } catch {
    throw new Error(`${what} answered ${res.status} with a body that is not JSON: ${text.slice(0, 300)}`);
  }
  if (!reasonOf(body)) throw new Error(`${what} answered ${res.status} without a reason: ${text.slice(0, 300)}`);
}
