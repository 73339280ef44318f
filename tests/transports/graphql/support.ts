import type { TestServer } from '../../support/server';

export interface GraphqlAnswer {
  status: number;
  data?: any;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** POSTs a GraphQL request to /graphql as the holder of `token`. */
export async function graphql(server: TestServer, token: string, query: string, variables?: Record<string, unknown>): Promise<GraphqlAnswer> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: unknown; errors?: GraphqlAnswer['errors'] };
  return { status: res.status, data: body.data, errors: body.errors };
}
