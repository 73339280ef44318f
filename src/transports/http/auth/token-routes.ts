/**
 * POST /oauth2/token: the client-credentials grant (RFC 6749 §4.4). Which client it is, and the audit of a
 * refusal, are auth/client-credentials.ts's; this route reads the credentials and answers in OAuth's terms.
 */
import type { FastifyInstance } from 'fastify';
import { SECRET_GUESS_WINDOW } from '../../../auth/clients';
import type { ClientCredentials, ClientCredentialsPresented } from '../../../auth/client-credentials';
import type { TokenService } from '../../../auth/tokens';

export function registerAuthRoutes(app: FastifyInstance, credentials: ClientCredentials, tokens: TokenService): void {
  app.post('/oauth2/token', async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, string>;
    const oauthError = (status: number, error: string, description: string) =>
      reply.status(status).header('Cache-Control', 'no-store').send({ error, error_description: description });
    if (form.grant_type !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported');
    const presented = presentedCredentials(form, request.headers.authorization);
    const client = await credentials.authenticate(request, presented);
    const clientId = presented === 'malformed' ? undefined : presented.clientId;
    switch (client) {
      case 'malformed':
        return oauthError(401, 'invalid_client', 'Malformed HTTP Basic credentials: expected base64 of client_id:client_secret');
      case 'missing':
        return oauthError(401, 'invalid_client', 'Client credentials missing (HTTP Basic or client_id/client_secret in the form)');
      case 'throttled':
        request.log.warn({ clientId, ip: request.ip }, 'client secret guessed at too often');
        reply.header('Retry-After', '900');
        return oauthError(429, 'invalid_client', `Too many failed attempts for this client from this address; try again after ${SECRET_GUESS_WINDOW}`);
      case 'wrong':
        request.log.warn({ clientId, ip: request.ip }, 'failed client authentication');
        return oauthError(401, 'invalid_client', 'Unknown client or wrong secret');
    }
    return reply
      .header('Cache-Control', 'no-store')
      .send({ access_token: tokens.issue(client), token_type: 'Bearer', expires_in: tokens.lifetimeSeconds, scope: `system/*.* role/${client.role}` });
  });
}

/** HTTP Basic when given (RFC 6749 §2.3.1: base64 of form-encoded id ":" secret), else the form's client_id and client_secret. */
function presentedCredentials(form: Record<string, string>, authorization: string | undefined): ClientCredentialsPresented {
  const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
  if (!basic) return { clientId: form.client_id, clientSecret: form.client_secret };
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const clientId = colon > 0 ? decodeOrUndefined(decoded.slice(0, colon)) : undefined;
  const clientSecret = colon > 0 ? decodeOrUndefined(decoded.slice(colon + 1)) : undefined;
  // Anything else is a client error, not a crash.
  return clientId === undefined || clientSecret === undefined ? 'malformed' : { clientId, clientSecret };
}

function decodeOrUndefined(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
