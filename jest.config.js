/**
 * One jest run over every workspace. ESM throughout (ts-jest ESM preset, node --experimental-vm-modules).
 * @mc-kit/core maps to its sources so unit tests need no build; end-to-end tests under test/ drive
 * the built bin/mc as a user would.
 */
import { existsSync } from 'node:fs';

// templates/ holds `mc generate` skeletons once they exist; jest refuses a root that is missing.
const roots = ['packages', 'plugins', 'templates', 'test']
  .filter((d) => existsSync(new URL(`./${d}`, import.meta.url)))
  .map((d) => `<rootDir>/${d}`);

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots,
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
