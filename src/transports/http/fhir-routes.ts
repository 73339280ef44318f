/**
 * Mounts the FHIR router at /fhir. Only this file knows about HTTP requests and replies.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { serveAudited } from '../../fhir/audited';
import type { AuditTrail } from '../../audit/types';
import type { TokenService } from '../../auth/tokens';
import { assertJsonAcceptable, authenticate, sendFhir } from './app';
import { NdjsonLines } from './ndjson';
import { buildCapabilityStatement, smartConfiguration } from '../../fhir/capability';
import { decodeClientComponent, unsupportedMediaType } from '../../core/errors';
import type { FhirRequest, FhirRouter, Query } from '../../fhir/router';

/** Every FHIR request is answered through serveAudited, which records it in the audit trail before the answer leaves. */
export function registerFhirRoutes(app: FastifyInstance, router: FhirRouter, tokens: TokenService, serverUrl: string, version: string, audit: AuditTrail): void {
  let capability: unknown;
  app.get('/fhir/metadata', async (_request, reply) => {
    capability ??= buildCapabilityStatement(router.baseUrl, router.operationList(), version);
    return sendFhir(reply, 200, capability);
  });
  app.get('/fhir/.well-known/smart-configuration', async (_request, reply) => reply.send(smartConfiguration(serverUrl)));

  const handler = async (request: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const ctx = await authenticate(tokens, request);
    const path = request.url.split('?')[0].replace(/^\/fhir\/?/, '');
    assertWellFormedQuery(request.url);
    assertJsonAcceptable(request);
    if (request.body !== undefined && Buffer.isBuffer(request.body) && request.body.length > 0 && !path.includes('$')) {
      throw unsupportedMediaType(`Content-Type "${request.headers['content-type']}" is not accepted; send application/fhir+json`);
    }
    if (request.body instanceof NdjsonLines && path !== '$import') throw unsupportedMediaType('NDJSON is taken by $import only; send application/fhir+json');
    const header = (name: string) => {
      const value = request.headers[name];
      return typeof value === 'string' ? value : undefined;
    };
    const fhirRequest: FhirRequest = {
      method: request.method,
      path,
      query: (request.query ?? {}) as Query,
      body: request.body,
      ifMatch: header('if-match'),
      ifNoneExist: header('if-none-exist'),
      prefer: header('prefer'),
    };
    const response = await serveAudited(router, audit, ctx, fhirRequest);
    return sendFhir(reply, response.status, response.resource, response.headers);
  };
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/fhir', handler });
  app.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/fhir/*', handler });
}

/**
 * Fastify's query parser keeps a malformed escape (`name=%E3%81`) as literal text, which would search for
 * something the client never meant; a broken escape is the client's error, named as such.
 */
function assertWellFormedQuery(url: string): void {
  const question = url.indexOf('?');
  if (question < 0) return;
  for (const pair of url.slice(question + 1).split('&')) {
    const equals = pair.indexOf('=');
    const name = equals < 0 ? pair : pair.slice(0, equals);
    decodeClientComponent(name.replace(/\+/g, ' '), 'search parameter name');
    if (equals >= 0) decodeClientComponent(pair.slice(equals + 1).replace(/\+/g, ' '), `search parameter ${name}`);
  }
}
