import type { Npm, NpmResult } from '../npm/npm.js';
import { chooseCoreDependency } from './core-dependency.js';

/** npm as the registry answers: `view` from the table, `config get registry` the URL. */
function fakeNpm(view: NpmResult | Error, registry = 'http://127.0.0.1:4873/'): Npm & { calls: string[][] } {
  const calls: string[][] = [];
  const npm: Npm = async (args) => {
    calls.push(args);
    if (args[0] === 'config') return { code: 0, stdout: `${registry}\n`, stderr: '' };
    if (view instanceof Error) throw view;
    return view;
  };
  return Object.assign(npm, { calls });
}

const base = {
  coreVersion: '0.1.0',
  coreRoot: '/opt/mc/node_modules/@mc-kit/core',
  packageName: 'mc-plugin-x',
  cwd: '/tmp',
};

describe('chooseCoreDependency', () => {
  it('takes the running version from the registry when the registry has it', async () => {
    const npm = fakeNpm({ code: 0, stdout: '"0.1.0"\n', stderr: '' });
    await expect(chooseCoreDependency({ ...base, npm })).resolves.toEqual({ spec: '0.1.0', source: 'registry' });
    expect(npm.calls[0]).toEqual(['view', '@mc-kit/core@0.1.0', 'version', '--json', '--fetch-retries=0']);
  });

  it("falls back to this mc's own core, in one line, where the registry lacks that version", async () => {
    const npm = fakeNpm({
      code: 1,
      stdout: '',
      stderr:
        'npm error code E404\nnpm error 404 Not Found - GET http://127.0.0.1:4873/@mc-kit%2fcore - no such package available\n',
    });
    await expect(chooseCoreDependency({ ...base, npm })).resolves.toEqual({
      spec: 'file:/opt/mc/node_modules/@mc-kit/core',
      source: 'local',
      note: "@mc-kit/core 0.1.0 is not on http://127.0.0.1:4873/: mc-plugin-x builds against this mc's own core (file:/opt/mc/node_modules/@mc-kit/core)",
    });
    // `npm view pkg@version` of a version the registry lacks exits 0 with nothing on stdout
    await expect(
      chooseCoreDependency({ ...base, npm: fakeNpm({ code: 0, stdout: '', stderr: '' }) }),
    ).resolves.toMatchObject({ source: 'local', note: expect.stringMatching(/is not on/) });
  });

  it('falls back too when the registry cannot be reached, and says so', async () => {
    const npm = fakeNpm({ code: 1, stdout: '', stderr: 'npm error code ECONNREFUSED\nnpm error errno ECONNREFUSED\n' });
    await expect(chooseCoreDependency({ ...base, npm })).resolves.toMatchObject({
      source: 'local',
      note: expect.stringMatching(/^@mc-kit\/core 0\.1\.0 could not be looked up on http:\/\/127\.0\.0\.1:4873\/: /),
    });
    await expect(chooseCoreDependency({ ...base, npm: fakeNpm(new Error('spawn npm ENOENT')) })).resolves.toMatchObject(
      { source: 'local' },
    );
  });

  it('--core wins without asking the registry', async () => {
    const npm = fakeNpm(new Error('not called'));
    await expect(chooseCoreDependency({ ...base, flag: 'file:/src/mc/packages/core', npm })).resolves.toEqual({
      spec: 'file:/src/mc/packages/core',
      source: 'flag',
    });
    expect(npm.calls).toEqual([]);
  });
});
