/**
 * The layer rule of docs/design.md, checked by `npm run lint:deps` (run first by `npm test`): a module
 * imports only its own layer and the layers below it, and no module depends on itself through others.
 * Type-only imports count: a layer that names a higher layer's types depends on it as much as one that
 * calls it.
 */

/** Lowest first. `folders` are path prefixes under the repository root; `mayImport` names the lower layers. */
const LAYERS = [
  { name: 'core', folders: ['src/core/'], mayImport: [] },
  { name: 'mapping', folders: ['src/mapping/'], mayImport: ['core'] },
  { name: 'store', folders: ['src/store/'], mayImport: ['core'] },
  { name: 'consent and audit', folders: ['src/consent/', 'src/audit/'], mayImport: ['core', 'mapping', 'store'] },
  { name: 'fhir', folders: ['src/fhir/'], mayImport: ['core', 'mapping', 'store', 'consent and audit'] },
  {
    name: 'domain and ingest',
    folders: ['src/consent-workflows/', 'src/records/', 'src/research/', 'src/pathway/', 'src/booking/', 'src/ingest/', 'src/dicomweb/', 'src/auth/', 'src/notify/', 'src/demo/'],
    mayImport: ['core', 'mapping', 'store', 'consent and audit', 'fhir'],
  },
  { name: 'transports', folders: ['src/transports/'], mayImport: ['core', 'mapping', 'store', 'consent and audit', 'fhir', 'domain and ingest'] },
  // The composition root may import anything; nothing imports it.
  { name: 'top', folders: ['src/server.ts', 'src/config.ts', 'src/cli/'], mayImport: ['core', 'mapping', 'store', 'consent and audit', 'fhir', 'domain and ingest', 'transports'] },
];

/** The packages a transport is built on (node:http is not among them: oidc-provider, configured in src/auth, serves HTTP itself). */
const TRANSPORT_LIBRARIES = ['node_modules/(fastify|@fastify/[^/]+|ws|graphql-ws|@apollo/server|@as-integrations/fastify|graphql|type-graphql)/', '^(node:)?net$'];

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const pathsOf = (folders) => `^(${folders.map(escape).join('|')})`;
const foldersOf = (names) => LAYERS.filter((layer) => names.includes(layer.name)).flatMap((layer) => layer.folders);

const TOP = pathsOf(LAYERS.find((layer) => layer.name === 'top').folders);

const layerRules = LAYERS.map((layer) => {
  const own = layer.folders;
  const allowed = [...own, ...foldersOf(layer.mayImport)];
  return {
    name: `layer: ${layer.name}`,
    comment: `${layer.name} (${own.join(', ')}) imports only ${layer.mayImport.length ? `itself and ${layer.mayImport.join(', ')}` : 'itself'}`,
    severity: 'error',
    from: { path: pathsOf(own) },
    to: { path: '^src/', pathNot: pathsOf(allowed) },
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'transport libraries in transports',
      comment: 'HTTP, WebSocket, GraphQL and TCP servers are adapted in src/transports and wired in the composition root; the layers below know none of them',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/transports/|${TOP}` },
      to: { path: TRANSPORT_LIBRARIES },
    },
    {
      name: 'no-circular',
      comment: 'A module that depends on itself through others: the arrows of the layer table point one way, inside a layer too',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
