/** Tests run TypeScript through SWC (fast, keeps decorator metadata); `npm run typecheck` checks types. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2023',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
  testTimeout: 60000,
  maxWorkers: 2,
  // Each test file loads the server's modules afresh (FHIR definitions, GraphQL schema, PGlite) and a worker
  // keeps ~55 MB of every file it ran: after fifty files its collector spent more time than the tests,
  // which ran four times slower than alone. A worker past this size after a file is replaced by a new one.
  workerIdleMemoryLimit: '1GB',
  // A leaked handle must not keep CI waiting until its time limit; tests close their servers themselves.
  forceExit: true,
};
