/**
 * Jest: TypeScript transpiled by ts-jest without type-checking (`npm run typecheck` does that),
 * against the real servers test/servers/global-setup.ts starts.
 */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json', diagnostics: false }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/servers/global-setup.ts',
  globalTeardown: '<rootDir>/test/servers/global-teardown.ts',
  testTimeout: 60000,
  maxWorkers: 2,
};
