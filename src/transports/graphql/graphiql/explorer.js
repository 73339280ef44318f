/*
 * Tonet's GraphQL explorer (served at /graphiql): a query editor, variables, the answer, and the schema's
 * documentation from one introspection query, asked for when the documentation is first opened. Plain
 * browser JavaScript with no library and nothing fetched but /graphql, so it works offline and adds no
 * dependency to the server. The page hands in its settings as JSON (#explorer-config).
 */
(function () {
  'use strict';
  const config = JSON.parse(document.getElementById('explorer-config').textContent);
  const $ = (id) => document.getElementById(id);
  const token = $('token');
  const query = $('query');
  const variables = $('variables');
  const result = $('result');
  const status = $('status');

  token.value = sessionStorage.getItem('tonet-token') || '';
  token.addEventListener('change', () => sessionStorage.setItem('tonet-token', token.value.trim()));
  query.value = localStorage.getItem('tonet-graphiql-query') || config.defaultQuery;
  variables.value = localStorage.getItem('tonet-graphiql-variables') || '';

  /** One request to the endpoint with the bearer token; answers the parsed body and the HTTP status. */
  async function send(body) {
    const headers = { 'content-type': 'application/json', accept: 'application/json' };
    if (token.value.trim()) headers.authorization = 'Bearer ' + token.value.trim();
    const response = await fetch(config.endpoint, { method: 'POST', headers, body: JSON.stringify(body) });
    const text = await response.text();
    try {
      return { status: response.status, body: JSON.parse(text) };
    } catch {
      return { status: response.status, body: text };
    }
  }

  async function run() {
    localStorage.setItem('tonet-graphiql-query', query.value);
    localStorage.setItem('tonet-graphiql-variables', variables.value);
    let vars;
    try {
      vars = variables.value.trim() ? JSON.parse(variables.value) : undefined;
    } catch (err) {
      status.textContent = '変数が JSON ではありません (variables are not JSON): ' + err.message;
      return;
    }
    status.textContent = '実行中… (running)';
    const started = performance.now();
    try {
      const answer = await send({ query: query.value, variables: vars });
      result.textContent = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body, null, 2);
      status.textContent = 'HTTP ' + answer.status + ' · ' + Math.round(performance.now() - started) + ' ms';
    } catch (err) {
      status.textContent = '送信できません (request failed): ' + err.message;
    }
  }

  $('run').addEventListener('click', run);
  for (const editor of [query, variables]) {
    editor.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        run();
      } else if (event.key === 'Tab' && !event.shiftKey) {
        // Indent instead of leaving the editor; Shift+Tab and Escape then Tab still move focus.
        event.preventDefault();
        editor.setRangeText('  ', editor.selectionStart, editor.selectionEnd, 'end');
      }
    });
  }

  // ---- documentation -------------------------------------------------------------------------------------
  const docs = $('docs');
  const search = $('doc-search');
  const docBody = $('doc-body');
  let schema;
  const trail = [];

  async function loadSchema() {
    if (schema) return schema;
    docBody.textContent = 'スキーマを読み込み中… (loading the schema)';
    const answer = await send({ query: config.introspectionQuery, operationName: 'IntrospectionQuery' });
    if (!answer.body || !answer.body.data) {
      docBody.textContent = 'スキーマを取得できません (no schema): HTTP ' + answer.status + ' ' + JSON.stringify(answer.body && answer.body.errors);
      return undefined;
    }
    const raw = answer.body.data.__schema;
    schema = { raw, types: new Map(raw.types.map((t) => [t.name, t])) };
    return schema;
  }

  /** `[Type!]!` from an introspection type reference, with the named type as a link. */
  function typeRef(ref) {
    const span = document.createElement('span');
    if (ref.kind === 'NON_NULL') {
      span.append(typeRef(ref.ofType), '!');
    } else if (ref.kind === 'LIST') {
      span.append('[', typeRef(ref.ofType), ']');
    } else {
      span.append(typeLink(ref.name));
    }
    return span;
  }

  function typeLink(name) {
    const link = document.createElement('a');
    link.href = '#' + encodeURIComponent(name);
    link.textContent = name;
    link.className = 'type';
    link.addEventListener('click', (event) => {
      event.preventDefault();
      showType(name, true);
    });
    return link;
  }

  function linkItem(name) {
    const item = document.createElement('li');
    item.append(typeLink(name));
    return item;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showRoots() {
    trail.length = 0;
    docBody.replaceChildren();
    const roots = [schema.raw.queryType, schema.raw.mutationType, schema.raw.subscriptionType].filter(Boolean);
    docBody.append(element('h2', '', 'ルート型 (root types)'));
    const list = element('ul', 'types');
    for (const root of roots) list.append(linkItem(root.name));
    docBody.append(list, element('p', 'hint', schema.types.size + ' 型 (types): 検索欄で型名を探せます (search the type names above)'));
  }

  function showType(name, remember) {
    const type = schema.types.get(name);
    if (!type) return;
    if (remember) trail.push(name);
    docBody.replaceChildren();
    const back = element('button', 'back', '← 戻る (back)');
    back.type = 'button';
    back.addEventListener('click', () => {
      trail.pop();
      if (trail.length) showType(trail[trail.length - 1], false);
      else showRoots();
    });
    docBody.append(back, element('h2', '', type.name), element('p', 'kind', type.kind));
    if (type.description) docBody.append(element('p', 'description', type.description));
    const members = type.fields || type.inputFields || [];
    if (members.length) {
      const list = element('ul', 'fields');
      for (const field of members) {
        const item = element('li');
        item.append(element('span', 'field', field.name));
        if (field.args && field.args.length) {
          item.append('(');
          field.args.forEach((arg, i) => {
            if (i) item.append(', ');
            item.append(arg.name + ': ', typeRef(arg.type));
          });
          item.append(')');
        }
        item.append(': ', typeRef(field.type));
        if (field.description) item.append(element('div', 'description', field.description));
        list.append(item);
      }
      docBody.append(list);
    }
    if (type.enumValues && type.enumValues.length) {
      docBody.append(element('h3', '', '値 (values)'));
      const list = element('ul', 'types');
      for (const value of type.enumValues) list.append(element('li', '', value.name));
      docBody.append(list);
    }
    if (type.possibleTypes && type.possibleTypes.length) {
      docBody.append(element('h3', '', '型 (possible types)'));
      const list = element('ul', 'types');
      for (const possible of type.possibleTypes) list.append(linkItem(possible.name));
      docBody.append(list);
    }
  }

  function showMatches(text) {
    const needle = text.trim().toLowerCase();
    if (!needle) return showRoots();
    const names = [...schema.types.keys()].filter((n) => !n.startsWith('__') && n.toLowerCase().includes(needle));
    // Exact and prefix matches first; thousands of FHIR types would otherwise bury them.
    names.sort((a, b) => rank(a, needle) - rank(b, needle) || a.localeCompare(b));
    docBody.replaceChildren(element('h2', '', names.length + ' 件 (matches)'));
    const list = element('ul', 'types');
    for (const name of names.slice(0, 200)) list.append(linkItem(name));
    docBody.append(list);
  }

  function rank(name, needle) {
    const lower = name.toLowerCase();
    return lower === needle ? 0 : lower.startsWith(needle) ? 1 : 2;
  }

  $('docs-toggle').addEventListener('click', async () => {
    const opening = docs.hidden;
    docs.hidden = !opening;
    $('docs-toggle').setAttribute('aria-expanded', String(opening));
    if (opening && !schema && (await loadSchema())) showRoots();
  });
  search.addEventListener('input', async () => {
    if (await loadSchema()) showMatches(search.value);
  });
})();
