/**
 * GraphQL at /graphql: one Apollo Server 5 over one schema (FHIR GraphQL types and the domain types),
 * the same bearer tokens as REST, subscriptions over graphql-ws on the same port, GraphiQL for browsers.
 */
import { ApolloServer, type ApolloServerPlugin, HeaderMap } from '@apollo/server';
import type { Resource } from '@medplum/fhirtypes';
import type { FastifyInstance } from 'fastify';
import { execute, getOperationAST, GraphQLError, GraphQLFormattedError, GraphQLSchema, parse, print } from 'graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import { useServer } from 'graphql-ws/use/ws';
import { buildSchemaSync, PubSub } from 'type-graphql';
import { WebSocketServer } from 'ws';
import type { TokenService } from '../../auth/tokens';
import type { RequestContext } from '../../core/context';
import { answerAudited, type AskedOperation, type GraphqlResult } from '../../audit/graphql';
import { FhirError } from '../../core/errors';
import { authenticate, contextFromToken } from '../http/app';
import type { Logger } from '../../core/logger';
import { BookingResolver } from './domain/booking';
import { domainContext, DomainContext, DomainServices } from './domain/context';
import { LiveResolver } from './domain/live';
import { PathwayResolver } from './domain/pathway';
import { ConsentResolver, RecordResolver, ResidentResolver } from './domain/resolvers';
import { registerGraphiql, wantsPage } from './graphiql';
import { IntrospectionAnswer, IntrospectionCache } from './introspection';
import { checkOperation, costLimitPlugin, MAX_DOCUMENT_BYTES, shapeLimit } from './limits';
import { mergeSchemas } from './merge';
import { domainScopeGuard } from './scopes';

const NO_TOPICS: PubSub = {
  publish: () => undefined,
  subscribe: () => {
    throw new Error('Tonet subscriptions read the change feed, not PubSub topics');
  },
};

export function buildDomainSchema(): GraphQLSchema {
  return buildSchemaSync({
    resolvers: [RecordResolver, ResidentResolver, ConsentResolver, LiveResolver, BookingResolver, PathwayResolver],
    scalarsMap: [{ type: Date, scalar: GraphQLDateTime }],
    validate: false,
    globalMiddlewares: [domainScopeGuard],
    // type-graphql insists on a PubSub once a schema has subscriptions, although ours subscribe through
    // their own `subscribe` functions over the PostgreSQL change feed; this one carries no topic.
    pubSub: NO_TOPICS,
  });
}

export interface GraphqlOptions {
  app: FastifyInstance;
  tokens: TokenService;
  services: DomainServices;
  logger: Logger;
  /** Further schemas to merge (the generated FHIR GraphQL schema), built at first use: generating them takes seconds. */
  schemas?: () => GraphQLSchema[];
  /** Extra context the merged schemas' resolvers need, built per request. */
  extraContext?: (ctx: RequestContext) => Record<string, unknown>;
}

export function registerGraphql(options: GraphqlOptions): { stop(): Promise<void> } {
  const { app, tokens, services, logger } = options;
  let schema: GraphQLSchema | undefined;
  let apollo: Promise<ApolloServer> | undefined;
  const schemaOnce = () => (schema ??= mergeSchemas([buildDomainSchema(), ...(options.schemas?.() ?? [])]));
  const answered = new WeakMap<RequestContext, GraphqlResult>();
  const apolloOnce = () =>
    (apollo ??= (async () => {
      const server = new ApolloServer({
        schema: schemaOnce(),
        introspection: true,
        // Bearer tokens are not sent by browsers on their own, so cross-site requests cannot ride on them:
        // CSRF prevention (which would refuse a plain GET ?query=) protects nothing here.
        csrfPrevention: false,
        // Apollo adds stack traces (with file paths) unless NODE_ENV is "production"; Tonet never sends them.
        includeStacktraceInErrorResponses: false,
        validationRules: [shapeLimit()],
        plugins: [costLimitPlugin(), resultKeeper(answered)],
        formatError: formatError(logger),
      });
      await server.start();
      return server;
    })());

  const introspection = new IntrospectionCache();
  const contextFor = (ctx: RequestContext) => ({ ...domainContext(ctx, services), ...(options.extraContext?.(ctx) ?? {}) });

  app.route({
    method: ['GET', 'POST'],
    url: '/graphql',
    handler: async (request, reply) => {
      const query = request.query as Record<string, string | undefined>;
      if (request.method === 'GET' && wantsPage(request.headers.accept, !!query.query)) return reply.redirect('/graphiql');
      const ctx = await authenticate(tokens, request);
      const context = contextFor(ctx);
      const run = async (): Promise<IntrospectionAnswer> => {
        const headers = new HeaderMap();
        for (const [key, value] of Object.entries(request.headers)) if (typeof value === 'string') headers.set(key, value);
        const response = await (await apolloOnce()).executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: request.method, headers, search: request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '', body: request.body },
          context: async () => context,
        });
        let body = '';
        if (response.body.kind === 'complete') body = response.body.string;
        else for await (const chunk of response.body.asyncIterator) body += chunk;
        return { status: response.status ?? 200, headers: [...response.headers], body };
      };
      // Introspection holds no patient data and is the same for every caller: answered once, not audited.
      const shared = introspection.answer(request.body ?? query, run);
      const answer = await (shared ?? answerAudited(services.audit, askedOverHttp(request.body ?? query, context), run, () => answered.get(context.ctx)));
      for (const [key, value] of answer.headers) reply.header(key, value);
      reply.status(answer.status);
      return reply.send(answer.body);
    },
  });
  registerGraphiql(app);

  const standing = async (authorization: string | undefined): Promise<boolean> => {
    try {
      await contextFromToken(tokens, authorization, 'ws');
      return true;
    } catch {
      return false;
    }
  };
  // One message holds one operation; a message larger than any real query is refused by ws (close 1009).
  const ws = new WebSocketServer({ noServer: true, maxPayload: MAX_DOCUMENT_BYTES });
  app.server.on('upgrade', (request, socket, head) => {
    if ((request.url ?? '').split('?')[0] !== '/graphql') return;
    ws.handleUpgrade(request, socket, head, (client) => ws.emit('connection', client, request));
  });
  const wsServer = useServer(
    {
      schema: () => schemaOnce(),
      // The token comes in the connection_init payload ({ authorization: "Bearer …" }), as browsers cannot set headers on a WebSocket.
      // A subscription asks again at each delivery (notify/deliveries.ts): expiry, revocation and deactivation end the stream.
      context: async (socket) => ({ ...contextFor(await contextFromToken(tokens, bearerOf(socket.connectionParams), 'ws')), standing: () => standing(bearerOf(socket.connectionParams)) }),
      onConnect: async (socket) => standing(bearerOf(socket.connectionParams)),
      // Queries and mutations sent over the WebSocket are audited like those over HTTP; a subscription's deliveries
      // are audited as they go out, where they are chosen for the subscriber (notify/deliveries.ts).
      execute: (args) => {
        const context = args.contextValue as DomainContext;
        const asked = { ...executionOf(context), text: print(args.document), isMutation: getOperationAST(args.document, args.operationName)?.operation === 'mutation' };
        return answerAudited(services.audit, asked, async () => execute(args), (result) => result);
      },
      // Checked again at each subscribe: a connection outlives tokens, and a deactivated client opens nothing new.
      onSubscribe: async (socket, _id, payload) => {
        if (!(await standing(bearerOf(socket.connectionParams)))) return [new GraphQLError('Access token expired or revoked', { extensions: { code: 'UNAUTHENTICATED', status: 401 } })];
        // The depth, cost and size limits of HTTP hold here too: a subscription is a query that runs for every event.
        const refused = checkOperation(schemaOnce(), payload.query, payload.variables, payload.operationName);
        return refused.length ? refused : undefined;
      },
    },
    ws
  );
  return {
    async stop() {
      await wsServer.dispose();
      ws.close();
      if (apollo) await (await apollo).stop();
    },
  };
}

/** What an HTTP request asks (a GET's query string or a POST's body), as the audit describes it. */
function askedOverHttp(asked: unknown, context: DomainContext): AskedOperation {
  const text = String((asked as { query?: unknown } | undefined)?.query ?? '');
  const operationName = (asked as { operationName?: unknown } | undefined)?.operationName;
  return { ...executionOf(context), text, isMutation: operationKind(text, typeof operationName === 'string' ? operationName : undefined) === 'mutation' };
}

/** Who asked, and what the resolvers of one request read and audited themselves (see FhirGraphQLContext.seen). */
function executionOf(context: DomainContext): Pick<AskedOperation, 'ctx' | 'read' | 'selfAudited'> {
  return { ctx: context.ctx, read: (context as { seen?: Resource[] }).seen ?? [], selfAudited: context.selfAudited };
}

/**
 * Keeps each execution's result, by the request's context (Apollo hands the resolvers a shallow copy of the
 * context object, so the copy's `ctx` is the key), as Apollo is about to serialise it: the audit reads the
 * object rather than parse the answer's text again (for a 2,000-entry timeline's first page that parse was
 * 5% of the server's time). An answer Apollo gives without executing anything (its landing page) leaves none.
 */
function resultKeeper(answered: WeakMap<RequestContext, GraphqlResult>): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind === 'single') answered.set((contextValue as DomainContext).ctx, response.body.singleResult);
        },
      };
    },
  };
}

/** The kind of operation a request runs, from the parsed document (a text search would miss `query A {…} mutation B {…}`). */
function operationKind(queryText: string, operationName: string | undefined): string | undefined {
  try {
    return getOperationAST(parse(queryText), operationName)?.operation;
  } catch {
    return undefined;
  }
}

function bearerOf(connectionParams: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = connectionParams?.authorization ?? connectionParams?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

/** FhirErrors keep their HTTP status and OperationOutcome in the error's extensions; internal errors say little. */
function formatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (original instanceof FhirError) {
      return { ...formatted, message: original.message, extensions: { ...formatted.extensions, code: statusCode(original.status), status: original.status, outcome: original.outcome } };
    }
    if (original && !(original instanceof GraphQLError) && formatted.extensions?.code === 'INTERNAL_SERVER_ERROR') {
      logger.error({ err: original }, 'GraphQL resolver failed');
      return { ...formatted, message: 'Internal server error' };
    }
    return formatted;
  };
}

function statusCode(status: number): string {
  switch (status) {
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    default:
      return status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_USER_INPUT';
  }
}
