/**
 * The GraphQL explorer at /graphiql: a page of Tonet's own (src/transports/graphql/graphiql/) with no library behind
 * it, so the server carries no React or GraphiQL build for it and the page needs no network but /graphql.
 * It asks for a bearer token and sends it with every request. The schema documentation comes from the
 * standard introspection query, which /graphql answers once and shares (introspection.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { getIntrospectionQuery } from 'graphql';
import { packageFolder } from '../../core/package-files';

const ASSETS: Record<string, string> = {
  'explorer.js': 'text/javascript; charset=utf-8',
  'explorer.css': 'text/css; charset=utf-8',
};

const DEFAULT_QUERY = `# 例 (example): the patients this token may see
{
  PatientList(_count: 5) {
    id
    name { family given }
    birthDate
  }
}
`;

/** `<`, `>` and `&` escaped, so the JSON cannot close the script element it sits in. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function page(endpoint: string): string {
  const config = {
    endpoint,
    defaultQuery: DEFAULT_QUERY,
    introspectionQuery: getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, inputValueDeprecation: true }),
  };
  return `<!doctype html>
<html lang="ja">
<head>
  <meta charset="utf-8" />
  <title>Tonet GraphiQL</title>
  <link rel="stylesheet" href="/graphiql/explorer.css" />
</head>
<body>
  <header>
    <h1>Tonet GraphiQL</h1>
    <label>アクセストークン (bearer token, from POST /oauth2/token) <input id="token" autocomplete="off" spellcheck="false" /></label>
    <button id="run" type="button" title="Ctrl+Enter">実行 (Run)</button>
    <button id="docs-toggle" class="secondary" type="button" aria-expanded="false" aria-controls="docs">スキーマ (Docs)</button>
    <span id="status" role="status"></span>
  </header>
  <main>
    <section class="pane" aria-label="クエリ (query)">
      <label for="query">クエリ (query) — Ctrl+Enter で実行</label>
      <textarea id="query" spellcheck="false"></textarea>
      <label for="variables">変数 (variables, JSON)</label>
      <textarea id="variables" spellcheck="false"></textarea>
    </section>
    <section class="pane" aria-label="結果 (result)">
      <label for="result">結果 (result)</label>
      <pre id="result" tabindex="0"></pre>
    </section>
    <aside id="docs" hidden aria-label="スキーマ (docs)">
      <input id="doc-search" type="search" placeholder="型を検索 (search types)" aria-label="型を検索 (search types)" />
      <div id="doc-body"></div>
    </aside>
  </main>
  <script type="application/json" id="explorer-config">${scriptJson(config)}</script>
  <script src="/graphiql/explorer.js"></script>
</body>
</html>`;
}

export function registerGraphiql(app: FastifyInstance): void {
  const folder = packageFolder(path.join('src', 'transports', 'graphql', 'graphiql'), (names) => names.includes('explorer.js'));
  if (!folder) throw new Error('src/transports/graphql/graphiql/ (the GraphQL explorer page) is missing from the package');
  const files = new Map(Object.entries(ASSETS).map(([name, type]) => [name, { body: fs.readFileSync(path.join(folder, name)), type }]));
  const html = page('/graphql');
  app.get('/graphiql/:asset', async (request, reply) => {
    const asset = files.get((request.params as { asset: string }).asset);
    if (!asset) return reply.status(404).send();
    return reply.type(asset.type).header('Cache-Control', 'no-cache').send(asset.body);
  });
  app.get('/graphiql', async (_request, reply) => reply.type('text/html; charset=utf-8').send(html));
}

/** A browser asking /graphql for a page (not an API client asking for JSON). */
export function wantsPage(accept: string | undefined, hasQuery: boolean): boolean {
  return !hasQuery && !!accept && accept.includes('text/html');
}
