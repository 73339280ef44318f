/**
 * POST /oauth2/token: the client-credentials grant (RFC 6749 §4.4).
 */
import type { FastifyInstance } from 'fastify';
import { refusedEntry } from '../../../audit/refusals';
import type { AuditTrail } from '../../../audit/types';
import { SECRET_GUESS_WINDOW, type ClientStore } from '../../../auth/clients';
import type { TokenService } from '../../../auth/tokens';

export function registerAuthRoutes(app: FastifyInstance, clients: ClientStore, tokens: TokenService, audit: AuditTrail): void {
  app.post('/oauth2/token', async (request, reply) => {
    const form = (request.body ?? {}) as Record<string, string>;
    const oauthError = (status: number, error: string, description: string) =>
      reply.status(status).header('Cache-Control', 'no-store').send({ error, error_description: description });
    if (form.grant_type !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported');
    let clientId = form.client_id;
    let clientSecret = form.client_secret;
    const basic = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    if (basic) {
      // RFC 6749 §2.3.1: base64 of form-encoded id ":" secret. Anything else is a client error, not a crash.
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const id = colon > 0 ? decodeOrUndefined(decoded.slice(0, colon)) : undefined;
      const secret = colon > 0 ? decodeOrUndefined(decoded.slice(colon + 1)) : undefined;
      if (id === undefined || secret === undefined) {
        await audit.append(refusedEntry(request, 401, 'malformed HTTP Basic credentials'));
        return oauthError(401, 'invalid_client', 'Malformed HTTP Basic credentials: expected base64 of client_id:client_secret');
      }
      clientId = id;
      clientSecret = secret;
    }
    if (!clientId || !clientSecret) {
      await audit.append(refusedEntry(request, 401, 'client credentials missing', clientId));
      return oauthError(401, 'invalid_client', 'Client credentials missing (HTTP Basic or client_id/client_secret in the form)');
    }
    const client = await clients.authenticate(clientId, clientSecret, request.ip);
    if (client === 'throttled') {
      request.log.warn({ clientId, ip: request.ip }, 'client secret guessed at too often');
      await audit.append(refusedEntry(request, 429, 'too many failed client authentications from this address', clientId));
      reply.header('Retry-After', '900');
      return oauthError(429, 'invalid_client', `Too many failed attempts for this client from this address; try again after ${SECRET_GUESS_WINDOW}`);
    }
    if (client === 'wrong') {
      request.log.warn({ clientId, ip: request.ip }, 'failed client authentication');
      await audit.append(refusedEntry(request, 401, 'unknown client or wrong secret', clientId));
      return oauthError(401, 'invalid_client', 'Unknown client or wrong secret');
    }
    return reply
      .header('Cache-Control', 'no-store')
      .send({ access_token: tokens.issue(client), token_type: 'Bearer', expires_in: tokens.lifetimeSeconds, scope: `system/*.* role/${client.role}` });
  });
}

function decodeOrUndefined(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}
