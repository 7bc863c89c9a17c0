/**
 * hyper's encode workers from the built package (what bin/mc runs): dist/codec/encode-parallel.js
 * starts dist/codec/encode-worker.js, a real module file (issue 21 item 6), and the bytes equal the
 * single-thread encoder's. Runs in a plain node process: the unit test of the same code
 * (encode-parallel.test.ts) starts the worker from its TypeScript source instead.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { rmSync, writeFileSync } from 'node:fs';
import { BUILT, REPO, tempDir } from './helpers/cli.js';

const CODEC = pathToFileURL(join(REPO, 'plugins/hyper/dist/codec/index.js')).href;

const SCRIPT = `
import { encodeTensor, encodeTensorParallel, shutdownEncodeWorkers, PRESETS } from ${JSON.stringify(CODEC)};
let s = 7;
const w = Float32Array.from({ length: 40_001 }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.1);
const one = encodeTensor('t', w, PRESETS.unet);
const par = await encodeTensorParallel('t', w, PRESETS.unet, { threads: 3, minPairs: 0 });
await shutdownEncodeWorkers();
const same = JSON.stringify(one, (k, v) => (ArrayBuffer.isView(v) ? Array.from(v) : v)) ===
  JSON.stringify(par, (k, v) => (ArrayBuffer.isView(v) ? Array.from(v) : v));
process.stdout.write(JSON.stringify({ same, kind: par.kind }));
`;

(BUILT ? describe : describe.skip)('hyper encode workers, built', () => {
  it('start from dist/codec/encode-worker.js and give the single-thread bytes', () => {
    // a file, not --input-type=module: worker threads inherit the process's flags, and a file worker refuses that one
    const dir = tempDir('mc-hyper-worker-');
    let out: string;
    try {
      writeFileSync(join(dir, 'run.mjs'), SCRIPT);
      out = execFileSync(process.execPath, [join(dir, 'run.mjs')], { encoding: 'utf8' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(JSON.parse(out)).toEqual({ same: true, kind: 'hyper' });
  }, 120_000);
});
