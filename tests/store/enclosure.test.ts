/**
 * The enclosure of issue 11: src/store/ is the only code that names one of Tonet's tables in SQL or holds a
 * database handle, the layer rule (.dependency-cruiser.js) holds, and no transport appends an audit entry
 * itself (each interaction is audited where the layer below completes it). Read from the sources themselves with
 * the TypeScript parser, so comments never count and every string and template literal does.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');

/** The composition root opens the database and hands it to the store's modules; it runs no SQL of its own. */
const COMPOSITION_ROOT = ['src/server.ts', 'src/cli/main.ts'];

const HANDLE_TYPES = ['Db', 'Database'];
const OPENERS = ['src/store/db/open', 'src/store/db/postgres', 'src/store/db/embedded'];

/** Every table the migrations create. */
function tables(): string[] {
  const folder = path.join(ROOT, 'migrations');
  const names = new Set<string>();
  for (const file of fs.readdirSync(folder).filter((f) => f.endsWith('.sql'))) {
    for (const match of fs.readFileSync(path.join(folder, file), 'utf8').matchAll(/create\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?([a-z_][a-z0-9_]*)/gi)) names.add(match[1].toLowerCase());
  }
  return [...names].sort();
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(relative);
    return entry.name.endsWith('.ts') ? [relative] : [];
  });
}

/**
 * What a file does that only the store may: the tables its literals name in SQL, and the handles it holds
 * (an import of the database module, a `.db` reached for).
 */
function offences(file: string, tableNames: string[]): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.ES2022, true);
  // A name with an underscore is Tonet's wherever it stands in a literal; a plain word ("resource",
  // "booking") only after a SQL keyword, so messages and resource types do not count.
  const distinctive = tableNames.filter((t) => t.includes('_'));
  const plain = tableNames.filter((t) => !t.includes('_'));
  const named = new RegExp(`\\b(${distinctive.join('|')})\\b|\\b(?:from|join|into|update|table)\\s+(?:only\\s+)?(${plain.join('|')})\\b|\\bsp_\\$\\{`, 'gi');
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
      for (const match of node.text.matchAll(named)) found.push(`names table ${(match[1] ?? match[2] ?? 'sp_*').toLowerCase()}`);
    }
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const target = path.posix.join(path.posix.dirname(file), node.moduleSpecifier.text);
      const bindings = node.importClause?.namedBindings;
      const names = bindings && ts.isNamedImports(bindings) ? bindings.elements.map((e) => (e.propertyName ?? e.name).text) : [];
      // The handle types, or the code that opens one; the error classifier (faults.ts) and PoolUsage are no handle.
      if (target === 'src/store/db/database' && names.some((n) => HANDLE_TYPES.includes(n))) found.push(`imports ${names.filter((n) => HANDLE_TYPES.includes(n)).join(', ')} from ${target}`);
      if (OPENERS.includes(target)) found.push(`imports ${target}`);
      // A Connection is opaque outside the store; only the store's own modules reach the database behind one.
      if (target === 'src/store/connection' && names.includes('databaseOf')) found.push(`imports databaseOf from ${target}`);
    }
    if (ts.isPropertyAccessExpression(node) && node.name.text === 'db') found.push(`reaches for ${node.getText(source)}`);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return [...new Set(found)];
}

describe('the store is the only code that names a table or holds a database handle', () => {
  const tableNames = tables();
  const outside = sourceFiles('src').filter((f) => !f.startsWith('src/store/') && !COMPOSITION_ROOT.includes(f));
  const found = new Map(outside.map((file) => [file, offences(file, tableNames)]).filter(([, list]) => list.length) as [string, string[]][]);

  test('the migrations name the tables the scan looks for', () => {
    expect(tableNames).toEqual(expect.arrayContaining(['resource', 'audit_event', 'person_account', 'inbox_message']));
  });

  test('no file outside src/store does', () => {
    expect([...found].map(([file, list]) => `${file}: ${list.join('; ')}`)).toEqual([]);
  });

  test('the composition root opens the database and runs no SQL itself', () => {
    const sql = COMPOSITION_ROOT.flatMap((file) => offences(file, tableNames).filter((o) => o.startsWith('names table')).map((o) => `${file}: ${o}`));
    expect(sql).toEqual([]);
  });
});

describe('the layer rule', () => {
  const cruise = JSON.parse(
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs'), 'src', '--config', '.dependency-cruiser.js', '--output-type', 'json'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }).toString()
  ) as { summary: { violations: { from: string; to: string; rule: { name: string } }[] }; modules: { source: string; dependencies: { resolved: string }[] }[] };

  test('holds: no import points up a layer, no module depends on itself', () => {
    expect(cruise.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  });

});

describe('the transports audit nothing themselves', () => {
  /** Calls such as `audit.append(…)`, `services.audit.record(…)`: an entry handed to the trail by the transport. */
  function appends(file: string): string[] {
    const source = ts.createSourceFile(file, fs.readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.ES2022, true);
    const found: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ['append', 'record'].includes(node.expression.name.text) && /audit/i.test(node.expression.expression.getText(source))) {
        found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}: ${node.expression.getText(source)}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
  }

  test('no file under src/transports hands an entry to the audit trail', () => {
    expect(sourceFiles('src/transports').flatMap(appends)).toEqual([]);
  });

  test('the scan finds such a call where one is made', () => {
    expect(appends('src/fhir/audited.ts').length).toBeGreaterThan(0);
  });
});
