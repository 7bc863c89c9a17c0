/**
 * The kill test (issue 17 item 2): SIGKILL at seeded random moments of a folder-output compress of the
 * shared LM (--method int4). After every kill the target is absent or complete (model.onnx that
 * onnxruntime loads, with config.json and the tokenizer files), a re-run on the same --out works (a
 * dead run's lock and staging folder block nothing), and the re-run cleans up what the kill left.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, OrtSessionFactory } from '@mc-kit/core';
import { BIN, HAS_SHARED, REPO, runMc, SHARED, tempDir, warnSkip } from './helpers/cli.js';

const LM = join(SHARED, 'models/tiny-stdlib-lm');
const COMPLETE = ['config.json', 'model.onnx', 'tokenizer.json', 'tokenizer_config.json'];
const describeShared = HAS_SHARED ? describe : describe.skip;
if (!HAS_SHARED) warnSkip('the SIGKILL test (it compresses the shared LM)');

async function expectComplete(out: string): Promise<void> {
  expect(readdirSync(out).sort()).toEqual(COMPLETE);
  expect(readFileSync(join(out, 'config.json'))).toEqual(readFileSync(join(LM, 'config.json')));
  const session = await new OrtSessionFactory({ device: 'cpu' }).create(join(out, 'model.onnx'));
  expect(session.inputNames).toContain('input_ids');
  await session.release();
}

describeShared('SIGKILL during a folder-output compress', () => {
  it('leaves the target absent or complete, every time, and a re-run always works', async () => {
    const dir = tempDir();
    const out = join(dir, 'lm-int4');
    const rng = createRng(17);
    const outcomes = { absent: 0, complete: 0, leftovers: 0 };
    // Startup to the end of the write takes about 1.5-3 s here; kill anywhere from the start to past it.
    for (let i = 0; i < 12; i++) {
      const delay = Math.floor(300 + rng.next() * 3500);
      const child = spawn(
        process.execPath,
        [BIN, 'compress', LM, '--method', 'int4', '--out', out, '--results', join(dir, 'results')],
        { cwd: REPO, stdio: 'ignore' },
      );
      const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await closed;
      if (existsSync(out)) {
        await expectComplete(out);
        outcomes.complete++;
        rmSync(out, { recursive: true });
      } else {
        outcomes.absent++;
      }
      if (readdirSync(dir).some((f) => f.startsWith('.lm-int4.'))) outcomes.leftovers++;
    }
    // the next run takes the dead run's lock over, removes its staging folder, and writes the target
    const rerun = await runMc(['compress', LM, '--method', 'int4', '--out', out, '--results', join(dir, 'results')], {
      timeoutMs: 120_000,
    });
    expect(rerun.code).toBe(0);
    await expectComplete(out);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);

    console.log(
      `SIGKILL test: ${outcomes.absent} kills left no target, ${outcomes.complete} a complete one; ${outcomes.leftovers} left a lock or staging folder for the next run to clean`,
    );
    expect(outcomes.absent + outcomes.complete).toBe(12);
  }, 600_000);
});
