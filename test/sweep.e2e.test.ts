/**
 * mc sweep as a user runs it: the printed table starts with the dense row and lists the points in the
 * order swept (not by size), a bare --sweep list walks the parameter each method declares, and a
 * method that declares none is refused in one line (exit 2) before anything is written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HAS_SHARED, SHARED, lines, runMc, tempDir } from './helpers/cli.js';

const MNIST = join(SHARED, 'models/mnist-cnn');
const MNIST_MINI = join(SHARED, 'data/mnist-test-mini');
const describeShared = HAS_SHARED ? describe : describe.skip;

const sweep = (dir: string, ...args: string[]) =>
  runMc([
    'sweep',
    MNIST,
    '--metric',
    'accuracy',
    '--dataset',
    MNIST_MINI,
    '--probes',
    '0',
    '--out',
    join(dir, 'out'),
    '--results',
    join(dir, 'results'),
    ...args,
  ]);

/** The first cell of every body row of a box table (wrapped continuation lines have an empty one). */
function firstColumn(table: string): string[] {
  return lines(table)
    .filter((l) => l.startsWith('│'))
    .map((l) => l.split('│')[1].trim())
    .filter((c) => c !== '' && c !== 'model');
}

describeShared('mc sweep', () => {
  it('prints the dense row first, then the points in the order swept', async () => {
    const dir = tempDir();
    // sparsity=0.5 writes a file 4 bytes larger than sparsity=0 ("0.5" in mc.params): sorted by size it came first
    const run = await sweep(dir, '--method', 'prune', '--sweep', '0,0.5');
    expect(run.code).toBe(0);
    expect(firstColumn(run.stdout)).toEqual(['dense', 'prune sparsity=0', 'prune sparsity=0.5']);
  });

  it('walks the parameter the method declares (int4: --block-size) and says so in mc list --params', async () => {
    const dir = tempDir();
    const run = await sweep(dir, '--method', 'int4', '--sweep', '32,64', '--min-size', '1', '--json');
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as { point: string; bitsPerWeight: number; results: string[] }[];
    expect(rows.map((r) => r.point)).toEqual(['block-size=32', 'block-size=64']);
    const compressed = rows.map(
      (r) => JSON.parse(readFileSync(r.results[0], 'utf8')) as { steps: { params: Record<string, unknown> }[] },
    );
    expect(compressed.map((c) => c.steps[0].params['block-size'])).toEqual([32, 64]);
    // one float32 scale per block: the larger block costs fewer bits per weight
    expect(rows[1].bitsPerWeight).toBeLessThan(rows[0].bitsPerWeight);
    const list = await runMc(['list', '--params']);
    expect(list.stdout).toMatch(/^int4 parameters \(mc sweep --sweep v1,v2 walks --block-size\):$/m);
    expect(list.stdout).toMatch(
      /^prune parameters \(mc sweep --sweep v1,v2 walks --sparsity at the defaults; it depends on the other flags\):$/m,
    );
    expect(list.stdout).toMatch(/^int8 parameters \(mc sweep: name the parameter, --sweep NAME=v1,v2\):$/m);
  });

  it('refuses a bare list for a method that declares no sweep parameter, in one line, writing nothing', async () => {
    const dir = tempDir();
    const run = await sweep(dir, '--method', 'int8', '--sweep', '0,0.5');
    expect(run.code).toBe(2);
    expect(lines(run.stderr).filter((l) => !l.startsWith('device:'))).toEqual([
      expect.stringMatching(
        /^Error: --sweep 0,0.5: --method int8 declares no parameter for a bare list of values \(hint: name the parameter: --sweep NAME=v1,v2 \(int8's parameters: scheme, granularity, /,
      ),
    ]);
    expect(existsSync(join(dir, 'out'))).toBe(false);
    expect(existsSync(join(dir, 'results'))).toBe(false);
  });
});
