/**
 * One jest run over every workspace. ESM throughout (ts-jest ESM preset, node --experimental-vm-modules).
 * @mc-kit/core maps to its sources so unit tests need no build; end-to-end tests under test/ drive
 * the built bin/mc as a user would.
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/packages', '<rootDir>/plugins', '<rootDir>/templates', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/fixtures/'],
  modulePathIgnorePatterns: ['<rootDir>/test/fixtures/', '/dist/'],
  moduleNameMapper: {
    '^@mc-kit/core$': '<rootDir>/packages/core/src/index.ts',
    '^@mc-kit/core/testing$': '<rootDir>/packages/core/src/testing/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  setupFiles: ['<rootDir>/test/setup/typed-arrays.cjs'],
  testTimeout: 120000,
};
