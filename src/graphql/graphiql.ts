/**
 * GraphiQL served from the installed packages (React and GraphiQL UMD builds), so it works offline.
 * The page asks for a bearer token and sends it with every request.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

const ASSETS: Record<string, [string, string]> = {
  'react.js': ['react/umd/react.production.min.js', 'application/javascript'],
  'react-dom.js': ['react-dom/umd/react-dom.production.min.js', 'application/javascript'],
  'graphiql.js': ['graphiql/graphiql.min.js', 'application/javascript'],
  'graphiql.css': ['graphiql/graphiql.min.css', 'text/css'],
};

const PAGE = `<!doctype html>
<html lang="ja">
<head>
  <meta charset="utf-8" />
  <title>Tonet GraphiQL</title>
  <link rel="stylesheet" href="/graphiql/graphiql.css" />
  <style>body { margin: 0; height: 100vh; display: flex; flex-direction: column; } #bar { padding: 6px; font: 13px sans-serif; } #graphiql { flex: 1; }</style>
</head>
<body>
  <div id="bar">Bearer token (from POST /oauth2/token): <input id="token" size="60" /></div>
  <div id="graphiql">Loading…</div>
  <script src="/graphiql/react.js"></script>
  <script src="/graphiql/react-dom.js"></script>
  <script src="/graphiql/graphiql.js"></script>
  <script>
    const tokenInput = document.getElementById('token');
    tokenInput.value = sessionStorage.getItem('tonet-token') || '';
    tokenInput.addEventListener('change', () => sessionStorage.setItem('tonet-token', tokenInput.value));
    const fetcher = GraphiQL.createFetcher({
      url: '/graphql',
      fetch: (url, init) => fetch(url, { ...init, headers: { ...init.headers, authorization: 'Bearer ' + tokenInput.value } }),
    });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, { fetcher }));
  </script>
</body>
</html>`;

export function registerGraphiql(app: FastifyInstance): void {
  const modules = path.dirname(require.resolve('react/package.json')).replace(/[\\/]react$/, '');
  const files = new Map(Object.entries(ASSETS).map(([name, [file, type]]) => [name, { body: fs.readFileSync(path.join(modules, file)), type }]));
  app.get('/graphiql/:asset', async (request, reply) => {
    const asset = files.get((request.params as { asset: string }).asset);
    if (!asset) return reply.status(404).send();
    return reply.type(asset.type).header('Cache-Control', 'public, max-age=86400').send(asset.body);
  });
  app.get('/graphiql', async (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
}

/** A browser asking /graphql for a page (not an API client asking for JSON). */
export function wantsPage(accept: string | undefined, hasQuery: boolean): boolean {
  return !hasQuery && !!accept && accept.includes('text/html');
}
