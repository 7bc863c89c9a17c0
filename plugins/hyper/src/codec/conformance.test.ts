/**
 * The fast encoder (lattice search, chunked sums) against the literal §8.3 transcription
 * (reference.fixture.ts, brute-force search) on tensors beyond the golden set: odd and even
 * lengths, several chunks, multi-element U, every reference setting, l auto excluded (not in §8.3).
 * Indices may differ only where two codebook points are exactly equidistant; none do here.
 */
import { decodeIndices } from './decode.js';
import { CHUNK_PAIRS, encodeTensor } from './encode.js';
import { encodeRef } from './reference.fixture.js';
import { studentT } from './testdata.fixture.js';

describe('encodeTensor == spec §8.3 transcription', () => {
  const cases: [string, number, number, number[], number, number][] = [
    // name, N, l, U, M, weight scale
    ['unet, 2 chunks + odd tail', 2 * CHUNK_PAIRS * 2 + 1, 0.1, [225], 3, 0.04],
    ['llm, near-inner', 3001, 0.1, [1600], 3, 0.01],
    ['mobilenet', 2000, 0.8, [1600], 4, 0.3],
    ['n search [100, 400]', 4001, 0.05, [100, 400], 3, 0.02],
    ['n search [64, 225], all outer', 1501, 0.1, [64, 225], 3, 1],
    ['tiny codebook', 999, 0.1, [4], 2, 0.05],
    ['non-square n', 2500, 0.2, [300], 3, 0.05],
  ];
  it.each(cases)('%s', (_name, N, l, U, M, scale) => {
    const w = studentT(N, scale, N);
    const e = encodeTensor('t', w, { l, U, M });
    if (e.kind !== 'hyper') throw new Error(`raw: ${e.reason}`);
    const ref = encodeRef(w, l, U, M);
    expect({ n: e.n, nIndex: e.nIndex, K: e.K, pad: e.pad, cx: e.cx, cy: e.cy }).toEqual({
      n: ref.n,
      nIndex: ref.nIndex,
      K: ref.K,
      pad: ref.pad,
      cx: ref.cx,
      cy: ref.cy,
    });
    expect(Array.from(decodeIndices(e))).toEqual(ref.idx);
  });
});
