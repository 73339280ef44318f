/**
 * The HTTP adapter: Fastify parses bodies, authenticates, and hands FHIR requests to the router.
 * Every error, wherever raised, becomes an OperationOutcome here and nowhere else.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordRefusal } from '../../audit/refusals';
import type { AuditTrail } from '../../audit/types';
import type { RequestContext } from '../../core/context';
import type { TokenService } from '../../auth/tokens';
import { databaseUnavailable } from '../../store/db/faults';
import { badRequest, FhirError, outcome, tooLarge, unauthorized, unsupportedMediaType } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { clientErrorHandler } from './client-errors';
import { ndjsonParser, NDJSON_TYPES } from './ndjson';

export const FHIR_JSON = 'application/fhir+json';
const JSON_TYPES = ['application/json', 'application/fhir+json', 'application/json-patch+json'];
const notAcceptable = (text: string): FhirError => new FhirError(406, outcome('error', 'not-supported', text));

declare module 'fastify' {
  interface FastifyRequest {
    tonet?: RequestContext;
  }
}

export interface HttpOptions {
  logger: Logger;
  bodyLimit: number;
  tokens: TokenService;
  /** Where 401 and 403 answers are recorded. */
  audit: AuditTrail;
  /** Proxies whose X-Forwarded-For is believed (config.trustProxy); request.ip, and so the audit's source address, follows it. */
  trustProxy: boolean | number | string[];
}

export function createHttpApp(options: HttpOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit,
    // A hop count trusts that many proxies in front (Fastify does the same for a number; its types only take a function).
    trustProxy: typeof options.trustProxy === 'number' ? trustHops(options.trustProxy) : options.trustProxy,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, maxParamLength: 1000 },
    clientErrorHandler: clientErrorHandler(() => app),
    // A caller's X-Request-Id (a proxy's or a gateway's) becomes this request's id in logs and AuditEvents.
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
  }) as unknown as FastifyInstance;
  app.addHook('onRequest', async (request, reply) => {
    if (!/^[A-Za-z0-9._:-]{1,128}$/.test(String(request.id))) request.id = randomUUID();
    reply.header('X-Request-Id', request.id);
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'string' }, (_req, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(badRequest(`Malformed JSON: ${(err as Error).message}`), undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const form: Record<string, string | string[]> = {};
    for (const [key, value] of new URLSearchParams(body as string)) {
      const existing = form[key];
      form[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    done(null, form);
  });
  app.addContentTypeParser(NDJSON_TYPES, ndjsonParser(options.bodyLimit));
  // Everything else (HL7 v2, XML, DICOM) arrives as bytes; the route that takes it decides what it means.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler(async (err: FastifyError | FhirError, request, reply) => {
    const fhirError = toFhirError(err);
    if (fhirError.status === 503) request.log.warn({ err: err.message }, 'database unavailable');
    else if (fhirError.status >= 500) request.log.error({ err }, 'request failed');
    if ((fhirError.status === 401 || fhirError.status === 403) && !fhirError.recorded) {
      try {
        await recordRefusal(options.audit, request, fhirError.status, fhirError.message);
      } catch (auditErr) {
        // A refusal that cannot be recorded is a server failure, not a quiet 401/403.
        request.log.error({ err: auditErr }, 'could not record a refused request in the audit trail');
        const unavailable = databaseUnavailable(auditErr);
        if (unavailable) return reply.status(503).header('Retry-After', String(RETRY_AFTER_SECONDS)).type(FHIR_JSON).send(outcome('error', 'transient', `Service unavailable: ${unavailable}; retry shortly`));
        return reply.status(500).type(FHIR_JSON).send(outcome('error', 'exception', 'Internal server error'));
      }
    }
    if (fhirError.status === 401) reply.header('WWW-Authenticate', 'Bearer realm="tonet"');
    if (fhirError.status === 503) reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
    return reply.status(fhirError.status).type(FHIR_JSON).send(fhirError.outcome);
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).type(FHIR_JSON).send(outcome('error', 'not-found', `No route for ${request.method} ${request.url.split('?')[0]}`));
  });
  return app;
}

function trustHops(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

/** How long a client should wait after a 503 while the database is away (a restart takes seconds). */
export const RETRY_AFTER_SECONDS = 5;

function toFhirError(err: FastifyError | FhirError): FhirError {
  if (err instanceof FhirError) return err;
  const unavailable = databaseUnavailable(err);
  if (unavailable) return new FhirError(503, outcome('error', 'transient', `Service unavailable: ${unavailable}; retry shortly`));
  const code = (err as FastifyError).code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return tooLarge(`Request body exceeds the limit of ${err.message.match(/\d+/)?.[0] ?? 'the configured'} bytes`);
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') return unsupportedMediaType(err.message);
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || code === 'FST_ERR_CTP_INVALID_TYPE') return badRequest(err.message);
  const status = (err as FastifyError).statusCode;
  if (status && status >= 400 && status < 500) return new FhirError(status, outcome('error', 'invalid', err.message));
  return new FhirError(500, outcome('error', 'exception', 'Internal server error'));
}

/** The caller, from the bearer token; 401 with an OperationOutcome when there is none or it is bad. */
export async function authenticate(tokens: TokenService, request: FastifyRequest): Promise<RequestContext> {
  const declared = request.headers['x-purpose-of-use'];
  const context = await contextFromToken(tokens, request.headers.authorization, String(request.id), typeof declared === 'string' ? declared : undefined, request.ip);
  request.tonet = context;
  return context;
}

/**
 * The caller from an "Authorization: Bearer …" value (HTTP header or WebSocket connection parameter), once
 * the token is known to still stand (its grant, or its client, not ended since it was issued).
 */
export async function contextFromToken(tokens: TokenService, authorization: string | undefined, requestId: string, purposeOfUse?: string, remoteAddress?: string): Promise<RequestContext> {
  const match = authorization ? /^Bearer\s+(\S+)$/i.exec(authorization) : null;
  if (!match) throw unauthorized('Missing bearer token (Authorization: Bearer <token> from POST /oauth2/token)');
  const claims = await tokens.verifyStanding(match[1]);
  return {
    clientId: claims.clientId,
    clientName: claims.name,
    role: claims.role,
    organization: claims.organization,
    patient: claims.patient,
    person: claims.person,
    personName: claims.personName,
    grantId: claims.grantId,
    scopes: claims.scopes,
    purposeOfUse: purposeOfUse && /^[A-Z]{3,12}$/.test(purposeOfUse) ? purposeOfUse : 'TREAT',
    requestId,
    remoteAddress,
  };
}

export function sendFhir(reply: FastifyReply, status: number, body: unknown, headers: Record<string, string> = {}): FastifyReply {
  reply.status(status).headers(headers);
  if (body === undefined) return reply.send();
  const pretty = (reply.request.query as Record<string, unknown> | undefined)?._pretty === 'true';
  return reply.type(FHIR_JSON).send(pretty ? JSON.stringify(body, null, 2) : body);
}

/**
 * Tonet speaks FHIR JSON only. A request that asks for XML alone (`_format=xml`, or an Accept header naming
 * only XML types) gets 406 rather than JSON it did not ask for.
 */
export function assertJsonAcceptable(request: FastifyRequest): void {
  const format = (request.query as Record<string, unknown> | undefined)?._format;
  if (typeof format === 'string' && /xml/i.test(format)) throw notAcceptable(`_format=${format}: this server answers FHIR JSON only (_format=json)`);
  const accept = request.headers.accept;
  if (accept && /xml/i.test(accept) && !/json|\*\/\*|application\/\*/i.test(accept)) throw notAcceptable(`Accept: ${accept}: this server answers FHIR JSON only (application/fhir+json)`);
}
