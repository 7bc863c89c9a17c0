/**
 * Help that teaches, tried as a new user would through bin/mc: the quick start in `mc --help` runs
 * as pasted, --help with --method/--metric lists that plugin's own flags, each command offers only
 * the global flags that change something, and flag mistakes end in one line with a way out.
 */
import { cpSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BUILT, EXAMPLES, expectOneLineRefusal, filesIn, runMc, tempDir } from './helpers/cli.js';

const describeBuilt = BUILT ? describe : describe.skip;

/** The help's section `header` (up to the next unindented line). */
function section(help: string, header: string): string {
  const lines = help.split('\n');
  const at = lines.findIndex((l) => l.startsWith(header));
  if (at < 0) return '';
  const end = lines.findIndex((l, i) => i > at && /^\S/.test(l));
  return lines.slice(at + 1, end < 0 ? undefined : end).join('\n');
}

describeBuilt('mc --help', () => {
  it('ends with a quick start whose commands run as pasted from a clone', async () => {
    const help = await runMc(['--help']);
    expect(help.code).toBe(0);
    const commands = section(help.stdout, 'QUICK START')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('$ mc '))
      .map((l) => l.slice('$ mc '.length));
    expect(commands.length).toBeGreaterThanOrEqual(3);
    expect(commands.length).toBeLessThanOrEqual(5);
    // a clone's root, as the section says: examples/ beside where the commands write
    const clone = tempDir('mc-quick-start-');
    symlinkSync(EXAMPLES, join(clone, 'examples'));
    for (const command of commands) {
      // no quoted arguments in a quick start: splitting on spaces is what the shell does here
      const run = await runMc(command.split(/\s+/), { cwd: clone });
      expect([command, run.code, run.code === 0 ? '' : run.stderr]).toEqual([command, 0, '']);
    }
    expect(filesIn(join(clone, 'mc-results')).length).toBeGreaterThanOrEqual(3); // two evals and a compress
  }, 300_000);
});

describeBuilt('--help with a method or metric', () => {
  it.each([
    [['compress', '--method', 'int8', '--help'], 'INT8 FLAGS', ['--scheme', '--min-size', '--include']],
    [['eval', '--metric', 'bpc', '--help'], 'BPC FLAGS', ['--block-size', '--stride']],
    [['sweep', '--method', 'prune', '--help'], 'PRUNE FLAGS', ['--sparsity', '--algo']],
    [['compress', '-m', 'prune', '-m', 'int4', '--help'], 'INT4 FLAGS', ['--block-size']],
  ])('mc %j lists that plugin’s own flags', async (args, header, flags) => {
    const run = await runMc(args);
    expect(run.code).toBe(0);
    const own = section(run.stdout, header);
    for (const f of flags) expect(own).toContain(f);
    // and without the choice, the same command does not
    const plain = await runMc([args[0], '--help']);
    expect(plain.stdout).not.toContain(header);
    for (const f of flags) expect(plain.stdout).not.toContain(`${f}=`);
  });

  it('lists both of two chained methods, a shared flag once with its scoped form', async () => {
    const run = await runMc(['compress', '--method', 'prune', '--method', 'int8', '--help']);
    expect(section(run.stdout, 'PRUNE FLAGS')).toContain('--granularity');
    expect(run.stdout).toContain('--int8.granularity');
  });

  // @oclif/plugin-help's own help command refused these as a nonexistent flag; mc's reads them.
  it.each([
    [['compress', '--method', 'int8'], 'INT8 FLAGS'],
    [['eval', '--metric', 'bpc'], 'BPC FLAGS'],
  ])('mc help %j gives the page that --help after it gives', async (words, header) => {
    const viaHelp = await runMc(['help', ...words]);
    const viaFlag = await runMc([...words, '--help']);
    expect([viaHelp.code, viaHelp.stderr]).toEqual([0, '']);
    expect(section(viaHelp.stdout, header)).not.toBe('');
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
  });
});

describeBuilt('global flags per command', () => {
  it.each([['list'], ['generate'], ['plugins', 'install'], ['report'], ['inspect'], ['decompress']])(
    'mc %s --help offers no --device and no global --seed',
    async (...command) => {
      const run = await runMc([...command, '--help']);
      expect(run.code).toBe(0);
      const global = section(run.stdout, 'GLOBAL FLAGS');
      expect(global).toContain('--json');
      expect(global).toContain('--verbose');
      expect(run.stdout).not.toContain('--device');
      expect(global).not.toContain('--seed');
    },
  );

  it.each([['compress'], ['eval'], ['sweep'], ['convert']])('mc %s --help offers --device and --seed', async (c) => {
    const global = section((await runMc([c, '--help'])).stdout, 'GLOBAL FLAGS');
    expect(global).toContain('--device');
    expect(global).toContain('--seed');
  });

  it("report's --seed is its own flag: it seeds the bootstrap", async () => {
    const flags = section((await runMc(['report', '--help'])).stdout, 'FLAGS');
    expect(flags).toMatch(/--seed=<value>\s+Seed of the bootstrap/);
  });

  it('a command that runs no model refuses --device in one line', async () => {
    const dir = tempDir();
    const run = await runMc(['list', '--device', 'cpu'], { cwd: dir });
    expectOneLineRefusal(run, /unknown flag --device/, dir, []);
  });
});

describeBuilt('flag mistakes', () => {
  const model = join(EXAMPLES, 'mnist-cnn');

  it('a misspelt method flag gets "did you mean" and a hint naming the method help', async () => {
    const dir = tempDir();
    const run = await runMc(['compress', model, '--method', 'int8', '--sheme', 'asym', '--out', join(dir, 'x.onnx')], {
      cwd: dir,
    });
    expectOneLineRefusal(
      run,
      /^Error: unknown flag --sheme \(did you mean --scheme\?\) \(hint: see mc compress --method int8 --help\)$/,
      dir,
      [],
    );
  });

  it('a misspelt metric flag too', async () => {
    const dir = tempDir();
    const run = await runMc(['eval', model, '--metric', 'bpc', '--strid', '3', '--dataset', dir], { cwd: dir });
    expectOneLineRefusal(run, /unknown flag --strid \(did you mean --stride\?\)/, dir, []);
  });

  it('a missing required flag is one line naming it and what it is for', async () => {
    const dir = tempDir();
    const run = await runMc(['compress', model, '--method', 'int8'], { cwd: dir });
    expectOneLineRefusal(run, /^Error: missing --out: Output: a \.onnx file/, dir, []);
    expect(run.stderr).not.toMatch(/following error/);
  });

  it('--json gives the same words in the error object', async () => {
    const dir = tempDir();
    const run = await runMc(['compress', model, '--method', 'int8', '--json'], { cwd: dir });
    expect(run.code).toBe(2);
    const body = JSON.parse(run.stdout) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: 'E_USAGE', message: expect.stringMatching(/^missing --out: /) });
  });
});

describeBuilt('no internal references in what a user reads', () => {
  // "spec §9.2", "§6.1", "spec llm-kick.md §2": documents a user of mc cannot look up
  const INTERNAL = /§|\bspec [\w-]+\.md\b/;

  it('in every command’s help, every plugin’s flags and mc list --params', async () => {
    const root = await runMc(['--help']);
    const ids = section(root.stdout, 'COMMANDS')
      .split('\n')
      .map((l) => /^ {2}(\S+)/.exec(l)?.[1])
      .filter((id): id is string => !!id);
    expect(ids).toEqual(expect.arrayContaining(['compress', 'eval', 'sweep', 'list', 'report']));
    const list = await runMc(['list', '--params', '--json']);
    const items = (JSON.parse(list.stdout) as { items: { kind: string; id: string }[] }).items;
    const methods = items.filter((i) => i.kind === 'method').map((i) => ['--method', i.id]);
    const metrics = items.filter((i) => i.kind === 'metric').map((i) => ['--metric', i.id]);
    const pages: string[][] = [
      ['--help'],
      ['list', '--params'],
      ...ids.map((id) => [id, '--help']),
      ['plugins', 'install', '--help'],
      ['compress', ...methods.flat(), '--help'],
      ['eval', ...metrics.flat(), '--help'],
    ];
    for (const args of [...pages, ['list', '--params', '--json']]) {
      const run = await runMc(args);
      expect([args.join(' '), run.code]).toEqual([args.join(' '), 0]);
      expect({ args: args.join(' '), text: run.stdout + run.stderr }).toEqual({
        args: args.join(' '),
        text: expect.not.stringMatching(INTERNAL),
      });
    }
  }, 300_000);

  it('in what hyper prints about its decode tables', async () => {
    const dir = tempDir();
    const out = join(dir, 'hyper.onnx');
    const run = await runMc(
      ['compress', join(EXAMPLES, 'mnist-cnn'), '--method', 'hyper', '--probes', '0', '--out', out],
      {
        cwd: dir,
      },
    );
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).toMatch(/decode tables/);
    expect(run.stdout + run.stderr).not.toMatch(INTERNAL);
  }, 300_000);
});

describeBuilt('tables', () => {
  it('show ± beside a real standard error, not "± 0" beside an exact count (top5 on every digit)', async () => {
    const dir = tempDir();
    const run = await runMc(
      [
        'eval',
        join(EXAMPLES, 'mnist-cnn'),
        '--metric',
        'accuracy',
        '--dataset',
        join(EXAMPLES, 'mnist-test'),
        '--limit',
        '200',
      ],
      { cwd: dir },
    );
    expect(run.code).toBe(0);
    const top5 = run.stdout.split('\n').find((l) => /\btop5\b/.test(l)) ?? '';
    const top1 = run.stdout.split('\n').find((l) => /\btop1\b/.test(l)) ?? '';
    expect(top5).toMatch(/\b1\b/); // every one of the 200 digits is in the top 5: stderr 0
    expect(top5).not.toContain('±');
    expect(top1).toMatch(/± 0\.0\d+/);
    const md = await runMc(['report', join(dir, 'mc-results'), '--format', 'md'], { cwd: dir });
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/\| 0\.99\d* ± 0\.0\d+ \| 1 \|/);
    expect(md.stdout).not.toMatch(/± 0(?![.\d])/);
  });
});

describeBuilt('calibrating on the data that is scored', () => {
  const model = join(EXAMPLES, 'mnist-cnn');
  const data = join(EXAMPLES, 'mnist-test');
  const sweep = (dir: string, calib: string) => [
    'sweep',
    model,
    '--method',
    'prune',
    '--algo',
    'wanda',
    '--sweep',
    '0.1',
    '--metric',
    'accuracy',
    '--dataset',
    data,
    '--limit',
    '20',
    '--calib-dataset',
    calib,
    '--calib-samples',
    '4',
    '--out',
    join(dir, 'sweep'),
  ];

  it('mc sweep warns once, in one line, and still runs', async () => {
    const dir = tempDir();
    symlinkSync(data, join(dir, 'same-digits')); // another name for the same folder
    const run = await runMc(sweep(dir, join(dir, 'same-digits')), { cwd: dir });
    expect(run.code).toBe(0);
    const warnings = run.stderr.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings).toEqual([
      expect.stringMatching(
        /^warning: --calib-dataset and --dataset are the same data \(.*same-digits\): the points are calibrated on the data they are scored on/,
      ),
    ]);
  }, 300_000);

  it('mc compress warns when the drift probes are the calibration data', async () => {
    const dir = tempDir();
    const args = [
      'compress',
      model,
      '--method',
      'prune',
      '--algo',
      'wanda',
      '--calib-dataset',
      data,
      '--calib-samples',
      '4',
    ];
    const run = await runMc([...args, '--probe-dataset', `${data}/`, '--out', join(dir, 'a.onnx')], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('warning:'))).toEqual([
      expect.stringMatching(
        /^warning: --calib-dataset and --probe-dataset are the same data .*: the drift below is measured .*in-sample/,
      ),
    ]);
  }, 300_000);

  it('says nothing when the calibration data is another folder (a copy: paths are compared, not bytes)', async () => {
    const dir = tempDir();
    cpSync(data, join(dir, 'copy'), { recursive: true });
    const run = await runMc(sweep(dir, join(dir, 'copy')), { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stderr).not.toMatch(/^warning:/m);
  }, 300_000);
});
