/**
 * Client authentication for the client-credentials grant (RFC 6749 §4.4, §2.3.1): the client a request's id
 * and secret name, or why it is refused. Every refusal records its own audit entry (a failed login, with the
 * client id tried), and repeated wrong secrets from one address are throttled (clients.ts).
 */
import { recordRefusal, type RefusedRequest } from '../audit/refusals';
import type { AuditTrail } from '../audit/types';
import type { Client, ClientStore } from './clients';

/** What the request carried: an id and secret (from HTTP Basic or the form), or HTTP Basic that was not base64 of id ":" secret. */
export type ClientCredentialsPresented = { clientId?: string; clientSecret?: string } | 'malformed';

export type ClientRefusal = 'malformed' | 'missing' | 'throttled' | 'wrong';

export class ClientCredentials {
  constructor(
    private readonly clients: ClientStore,
    private readonly audit: AuditTrail
  ) {}

  async authenticate(request: RefusedRequest, presented: ClientCredentialsPresented): Promise<Client | ClientRefusal> {
    if (presented === 'malformed') {
      await recordRefusal(this.audit, request, 401, 'malformed HTTP Basic credentials');
      return 'malformed';
    }
    const { clientId, clientSecret } = presented;
    if (!clientId || !clientSecret) {
      await recordRefusal(this.audit, request, 401, 'client credentials missing', clientId);
      return 'missing';
    }
    const client = await this.clients.authenticate(clientId, clientSecret, request.ip);
    if (client === 'throttled') {
      await recordRefusal(this.audit, request, 429, 'too many failed client authentications from this address', clientId);
      return 'throttled';
    }
    if (client === 'wrong') {
      await recordRefusal(this.audit, request, 401, 'unknown client or wrong secret', clientId);
      return 'wrong';
    }
    return client;
  }
}
