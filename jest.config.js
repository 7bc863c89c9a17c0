/**
 * Two jest projects over every workspace, ESM throughout (ts-jest ESM preset, node --experimental-vm-modules):
 * - `unit`: every *.test.ts that runs in-process (npm run test:unit, the fast loop; no build needed, since
 *   @mc-kit/core maps to its sources, except by plugins/latency's metric test, which times models in the
 *   plugin's built dist/child.js). A unit test never starts bin/mc or a server process.
 * - `e2e`: every *.e2e.test.ts, the whole pipeline: most drive the built bin/mc (or npm, verdaccio, a
 *   browser) as a user would, so they need `npm run build` first (npm run test:e2e does it), and
 *   test/exporter-methods.e2e.test.ts runs every method on every exporter's model; and every *.shared.test.ts,
 *   which run ../shared's real models (the shared LM, MMLU): minutes of work, not the fast loop.
 * A test's name alone decides its project.
 */
import { existsSync } from 'node:fs';

// templates/ holds `mc generate` skeletons once they exist; jest refuses a root that is missing.
const roots = ['packages', 'plugins', 'templates', 'test']
  .filter((d) => existsSync(new URL(`./${d}`, import.meta.url)))
  .map((d) => `<rootDir>/${d}`);

const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots,
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
};
const ignored = ['/node_modules/', '/dist/', '/fixtures/'];

export default {
  testTimeout: 120000, // a global option: jest ignores it inside a project
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: [...ignored, '\\.(e2e|shared)\\.test\\.ts$'],
      setupFiles: [...shared.setupFiles, '<rootDir>/test/setup/unit-processes.cjs'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['**/*.e2e.test.ts', '**/*.shared.test.ts'],
      testPathIgnorePatterns: ignored,
    },
  ],
};
