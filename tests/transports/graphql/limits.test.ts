/**
 * The depth, cost and size limits hold on every GraphQL transport and follow fragments: over HTTP, a selection
 * moved into fragments (or fragments spread inside each other, doubling at each level) is refused like the
 * same selection written out; over WebSocket (graphql-ws), queries and subscriptions meet the same limits,
 * and a message larger than any real query closes the socket. (tests/graphql/introspection.test.ts: GraphiQL's
 * introspection query still answers under them.)
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { MAX_DOCUMENT_BYTES } from '../../../src/transports/graphql/limits';
import { startTestServer, TestServer } from '../../support/server';
import { graphql } from './support';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

/** hasMember → resource → Observation, `levels` times, each level its own fragment: 2 × levels + 2 deep. */
function deepThroughFragments(levels: number): string {
  const fragments = Array.from({ length: levels }, (_, i) =>
    i === levels - 1 ? `fragment L${i} on Observation { id }` : `fragment L${i} on Observation { hasMember { resource { ... on Observation { ...L${i + 1} } } } }`
  );
  return `{ ObservationList(_count: 1) { ...L0 } } ${fragments.join(' ')}`;
}

/** Each fragment spreads the next twice (through inline fragments): 2^levels selections once expanded. */
function doublingFragments(levels: number): string {
  const fragments = Array.from({ length: levels }, (_, i) =>
    i === levels - 1 ? `fragment D${i} on Query { __typename }` : `fragment D${i} on Query { ... on Query { ...D${i + 1} } ... on Query { ...D${i + 1} } }`
  );
  return `{ ...D0 } ${fragments.join(' ')}`;
}

function overWebSocket(query: string): Promise<{ data?: unknown; errors?: { message: string }[]; closed?: number }> {
  return new Promise((resolve) => {
    const client = createClient({ url: `${server.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${server.adminToken}` }, retryAttempts: 0 });
    const done = (answer: { data?: unknown; errors?: { message: string }[]; closed?: number }) => {
      void client.dispose();
      resolve(answer);
    };
    client.subscribe(
      { query },
      {
        next: (value) => done(value as { data?: unknown; errors?: { message: string }[] }),
        error: (err) => done(Array.isArray(err) ? { errors: err } : { closed: (err as { code?: number }).code ?? -1 }),
        complete: () => undefined,
      }
    );
  });
}

test('over HTTP, depth is counted through fragments', async () => {
  const shallow = await graphql(server, server.adminToken, deepThroughFragments(5));
  expect(shallow.errors).toBeUndefined();
  const deep = await graphql(server, server.adminToken, deepThroughFragments(7));
  expect(deep.errors?.[0].message).toMatch(/nested deeper than 12 levels/);
  expect(deep.data).toBeUndefined();
});

test('over HTTP, fragments doubling at each level are refused at once by their expanded size', async () => {
  const answer = await graphql(server, server.adminToken, doublingFragments(40));
  expect(answer.errors?.map((e) => e.message).join(' ')).toMatch(/selects \d+ fields once its fragments are expanded, more than the allowed 5000/);
});

test('over WebSocket, queries meet the same depth and size limits through fragments', async () => {
  expect((await overWebSocket(deepThroughFragments(5))).errors).toBeUndefined();
  const deep = await overWebSocket(deepThroughFragments(7));
  expect(deep.errors?.[0].message).toMatch(/nested deeper than 12 levels/);
  const doubling = await overWebSocket(doublingFragments(40));
  expect(doubling.errors?.map((e) => e.message).join(' ')).toMatch(/more than the allowed 5000/);
});

test('over WebSocket, a message larger than any real query closes the connection (1009)', async () => {
  const padding = ' '.repeat(MAX_DOCUMENT_BYTES + 1);
  const answer = await overWebSocket(`{ __typename ${padding}}`);
  expect(answer.closed).toBe(1009);
});
