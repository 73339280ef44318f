/**
 * Live updates: Tonet's GraphQL subscriptions over graphql-ws on the same /graphql, with the signed-in
 * person's token in the connection parameters. The server checks consent as each event is delivered, so
 * the console shows whatever arrives; a revoked consent simply stops the flow.
 */
import { Client, createClient } from 'graphql-ws';
import { useEffect, useRef } from 'react';
import { currentToken } from '../auth/session';

let shared: { token: string; client: Client } | undefined;

/** One socket per signed-in token; a new sign-in gets a new socket. */
function liveClient(token: string): Client {
  if (shared?.token === token) return shared.client;
  void shared?.client.dispose();
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  shared = { token, client: createClient({ url, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: Infinity }) };
  return shared.client;
}

/** Calls `onData` with each event of `query` while the component is mounted (and `variables` stay the same). */
export function useSubscription<T>(query: string, variables: Record<string, unknown>, onData: (data: T) => void): void {
  const handler = useRef(onData);
  handler.current = onData;
  const key = JSON.stringify(variables);
  useEffect(() => {
    const token = currentToken();
    if (!token) return;
    return liveClient(token).subscribe<T>(
      { query, variables },
      { next: (event) => event.data && handler.current(event.data as T), error: () => undefined, complete: () => undefined }
    );
  }, [query, key]);
}
