/**
 * The unit project's promise: no test in it starts bin/mc or a server process (those are end-to-end
 * tests, named *.e2e.test.ts, and run after a build in the e2e project). child_process is one module
 * per jest worker, shared by every test file's realm, so wrapping its functions here catches a spawn
 * however the test reaches it (test/helpers/cli.ts's runMc, a fork of verdaccio, an execFile).
 */
const childProcess = require('node:child_process');
const { basename } = require('node:path');
const { promisify } = require('node:util');

const GUARDED = Symbol.for('mc.unit-processes');
const FORBIDDEN = [
  [/(^|[\\/])bin[\\/]mc$/, 'bin/mc'],
  [/(^|[\\/])(redis-server|verdaccio|verdaccio-server\.cjs)$/, 'a server'],
];

/** What a command line starts that a unit test must not, or undefined. */
function forbidden(command, args) {
  const words = [command, ...(Array.isArray(args) ? args : [])].filter((w) => typeof w === 'string');
  for (const word of words)
    for (const [pattern, what] of FORBIDDEN) if (pattern.test(word)) return `${what} (${basename(word)})`;
  return undefined;
}

/** Throws when a call of child_process.`name` with these arguments would start what a unit test must not. */
function check(name, argv) {
  const [command, args] = argv;
  const shell = name === 'exec' || name === 'execSync' ? String(command).split(/\s+/) : undefined;
  const what = shell ? forbidden(shell[0], shell.slice(1)) : forbidden(command, args);
  if (what)
    throw new Error(
      `a unit test started ${what}: unit tests run in-process; name this test *.e2e.test.ts (jest.config.js)`,
    );
}

if (!childProcess[GUARDED]) {
  for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork', 'exec', 'execSync']) {
    const original = childProcess[name];
    const guarded = function (...argv) {
      check(name, argv);
      return original.apply(this, argv);
    };
    // util.promisify(execFile) resolves { stdout, stderr } through this symbol: keep it, guarded too
    const custom = original[promisify.custom];
    if (custom)
      guarded[promisify.custom] = function (...argv) {
        try {
          check(name, argv);
        } catch (refusal) {
          return Promise.reject(refusal); // a promise API fails by rejecting
        }
        return custom.apply(this, argv);
      };
    childProcess[name] = guarded;
  }
  Object.defineProperty(childProcess, GUARDED, { value: true });
}
