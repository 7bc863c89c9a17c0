/** The worker-thread driver gives the same bytes as the single-thread encoder. */
import { CHUNK_PAIRS, encodeTensor } from './encode.js';
import { encodeTensorParallel, PARALLEL_MIN_PAIRS, shutdownEncodeWorkers } from './encode-parallel.js';
import { PRESETS } from './presets.js';
import { studentT } from './testdata.fixture.js';

afterAll(() => shutdownEncodeWorkers());

describe('encodeTensorParallel', () => {
  // 3 chunks, the last one 2 pairs (odd N: it holds the pad); minPairs 0 forces the workers
  const N = 4 * CHUNK_PAIRS + 3;
  it.each([
    ['unet', PRESETS.unet, 0.05],
    ['llm', PRESETS.llm, 0.02],
    ['auto l, two n', { l: 'auto' as const, U: [64, 225], M: 3 }, 3],
  ])('%s: byte-identical to the single-thread path', async (_name, settings, scale) => {
    const w = studentT(N, scale, 42);
    const one = encodeTensor('t', w, settings);
    for (const threads of [2, 3]) {
      const par = await encodeTensorParallel('t', w, settings, { threads, minPairs: 0 });
      expect(par).toEqual(one);
    }
    expect(one.kind).toBe('hyper');
  });

  it('small tensors stay on the calling thread (same result)', async () => {
    const w = studentT(1001, 0.05, 3);
    expect(1001 / 2).toBeLessThan(PARALLEL_MIN_PAIRS);
    expect(await encodeTensorParallel('t', w, PRESETS.unet, { threads: 2 })).toEqual(
      encodeTensor('t', w, PRESETS.unet),
    );
  });
});
