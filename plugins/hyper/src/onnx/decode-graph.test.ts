/**
 * The decode subgraph's tables (spec §9.2): which one --decode-table picks, from hand-counted
 * bytes; and option B (compact) run by a plain onnxruntime session, in both decode modes, against
 * a float32 emulation of its ops (bit for bit) and against the codec's exact decode (within the
 * rounding bound of those ops).
 */
import * as ort from 'onnxruntime-node';
import { DataType, type OnnxModel } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { codebook, decodeIndices, decodeTensor, encodeTensor, PRESETS, shellScales, type HyperEncodedTensor } from '../codec/index.js';
import { chooseDecodeTable, storedBytes, tableBytes, writeDecodeGraph } from './decode-graph.js';
import { graphProblems } from './valid-graph.fixture.js';

/** A stand-in encoding: only n, K, numel, pad and the byte count matter to the byte counts. */
function fakeEnc(numel: number, n: number, K: number, bits: number): HyperEncodedTensor {
  const pairs = Math.ceil(numel / 2);
  const bytes = new Uint8Array(Math.ceil((pairs * bits) / 8));
  return { kind: 'hyper', name: 'w', numel, pairs, pad: (numel % 2) as 0 | 1, nIndex: 0, n, K, l: 0.1, cx: 0, cy: 0, fx: 1, fy: 1, bits, nz: 0, bytes, mae: 0 };
}

describe('decode table bytes and choice (spec §9.2)', () => {
  // n = 225, K = 3: exact LUT 226·4 rows × 8 B = 7232 B; compact T 226 × 8 = 1808, S 4 × 4 = 16,
  // c 8, the int64 n+1 8: 1840 B. A rank-2 tensor without pad adds 2 guard bytes and 6 int64
  // scalars (bits, nz, 24−bits, 2^bits, the 2-element shape) = 48 B. 10-bit indices (904 rows).
  it('counts the tables by hand', () => {
    expect(tableBytes('exact', 225, 3)).toBe(7232);
    expect(tableBytes('compact', 225, 3)).toBe(1840);
    expect(tableBytes('compact', 225, 0)).toBe(1808); // K = 0: the exact table is T itself
    expect(tableBytes('exact', 225, 0)).toBe(1808);
    // 1024 weights: 512 pairs × 10 bits = 640 B of indices
    expect(storedBytes(fakeEnc(1024, 225, 3, 10), 2, 'exact')).toBe(640 + 2 + 48 + 7232); // 7922
    expect(storedBytes(fakeEnc(1024, 225, 3, 10), 2, 'compact')).toBe(640 + 2 + 48 + 1840); // 2530
  });

  it('auto: exact while it saves bytes, then compact, then float32', () => {
    // 4096 weights: float32 16384 B; exact 2560 + 50 + 7232 = 9842 B < 16384
    expect(chooseDecodeTable(fakeEnc(4096, 225, 3, 10), 2, 'auto')).toBe('exact');
    // 1024 weights: float32 4096 B; exact 7922 B >= 4096, compact 2530 B < 4096
    expect(chooseDecodeTable(fakeEnc(1024, 225, 3, 10), 2, 'auto')).toBe('compact');
    // 600 weights: float32 2400 B; compact 375 + 50 + 1840 = 2265 B < 2400
    expect(chooseDecodeTable(fakeEnc(600, 225, 3, 10), 2, 'auto')).toBe('compact');
    // 560 weights: float32 2240 B; compact 350 + 50 + 1840 = 2240 B, not less: float32
    expect(chooseDecodeTable(fakeEnc(560, 225, 3, 10), 2, 'auto')).toBeNull();
  });

  it('exact and compact policies only ever give their own table (K = 0: exact, the same graph)', () => {
    expect(chooseDecodeTable(fakeEnc(1024, 225, 3, 10), 2, 'exact')).toBeNull();
    expect(chooseDecodeTable(fakeEnc(4096, 225, 3, 10), 2, 'compact')).toBe('compact');
    expect(chooseDecodeTable(fakeEnc(4096, 225, 0, 8), 2, 'compact')).toBe('exact');
  });
});

/** Deterministic N(0, sd) weights (Box-Muller over a 32-bit LCG). */
function normal(n: number, seed: number, sd: number): Float32Array {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 1) / 2 ** 32;
  return Float32Array.from({ length: n }, () => sd * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

const ROWS = 23;
const COLS = 23; // 529 weights: odd, so the subgraph's Slice drops the pad value
/** y = Gather(W, ids): with ids = 0..ROWS−1 the output is W itself, exactly as the graph decoded it. */
function gatherModel(w: Float32Array, cols = COLS): OnnxModel {
  const g = new GraphBuilder({ opset: 13 });
  const ids = g.input('ids', DataType.INT64, [ROWS]);
  g.output(g.gather(g.initializer('W', DataType.FLOAT, [ROWS, cols], w), ids), DataType.FLOAT, [ROWS, cols]);
  return g.build();
}

async function runGather(model: OnnxModel, options: ort.InferenceSession.SessionOptions = {}): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model.toBytes(), { logSeverityLevel: 3, ...options });
  const ids = new ort.Tensor('int64', BigInt64Array.from({ length: ROWS }, (_, i) => BigInt(i)), [ROWS]);
  const out = await session.run({ ids });
  const y = out[session.outputNames[0]].data as Float32Array;
  await session.release();
  return y;
}

describe('compact table (option B) in onnxruntime', () => {
  const cols = COLS;
  const w = normal(ROWS * cols, 11, 0.05);
  const enc = encodeTensor('W', w, PRESETS.unet) as HyperEncodedTensor;
  const f = Math.fround;
  // What the graph computes, op by op in float32: T and S cast once from float64, c float32.
  const T = codebook(enc.n, enc.l, enc.cx, enc.cy);
  const S = shellScales(enc);
  const idx = decodeIndices(enc);
  const emulated = new Float32Array(2 * enc.pairs);
  const bound = new Float64Array(2 * enc.pairs);
  const exact = decodeTensor(enc);
  idx.forEach((i, p) => {
    const s = Math.floor(i / (enc.n + 1));
    const j = i - s * (enc.n + 1);
    for (const [k, c] of [[0, enc.cx], [1, enc.cy]] as const) {
      const a = T[2 * j + k];
      emulated[2 * p + k] = f(f(f(f(a) - f(c)) * f(S[s])) + f(c));
      // 5 roundings by u = 2^-24 (cast of T and S, Sub, Mul, Add) plus the exact decode's own one:
      // |graph − exact| <= u·(|a|·S + 3·|a − c|·S + 2·|w|) to first order; 1.001 covers the u² terms.
      const wv = Math.abs((a - c) * S[s] + c);
      bound[2 * p + k] = 1.001 * 2 ** -24 * (Math.abs(a) * S[s] + 3 * Math.abs(a - c) * S[s] + 2 * wv);
    }
  });

  it('the tensor has shells, so option B really scales (K >= 1)', () => {
    expect(enc.K).toBeGreaterThanOrEqual(1);
  });

  it.each(['load', 'run'] as const)('--decode %s: bit for bit the float32 emulation, within the rounding bound of the exact decode', async (mode) => {
    const model = gatherModel(w, cols);
    const written = writeDecodeGraph(model, 'W', [ROWS, cols], enc, mode, 'compact');
    expect(written.table).toBe('compact');
    expect(graphProblems(model)).toEqual([]); // topological order: every decode node before its reader
    expect(model.getInitializer(written.lut)!.dims).toEqual([enc.n + 1, 2]);
    expect(model.getInitializer(written.scales!)!.dims).toEqual([enc.K + 1, 1]);
    // bytes as counted by hand: packed + guard, T 8(n+1), S 4(K+1), c 8, and 9 int64 scalars
    // (bits, nz, 24−bits, 2^bits, n+1, the 2-d shape, Slice start and end)
    expect(written.bytes).toBe(enc.bytes.length + 2 + 8 * (enc.n + 1) + 4 * (enc.K + 1) + 8 + 8 * 9);
    for (const options of [{}, { graphOptimizationLevel: 'disabled' as const }]) {
      const got = await runGather(model, options);
      expect(Array.from(got)).toEqual(Array.from(emulated.subarray(0, enc.numel)));
    }
    for (let i = 0; i < enc.numel; i++) expect(Math.abs(emulated[i] - exact[i])).toBeLessThanOrEqual(bound[i]);
    // option B is really not option A here: some values are ulps away from the exact decode
    expect(Array.from(exact.keys()).some((i) => emulated[i] !== exact[i])).toBe(true);
    expect(Math.max(...Array.from(exact.keys(), (i) => Math.abs(emulated[i] - exact[i])))).toBeLessThanOrEqual(2.4e-7); // spec §9.2
  });

  it('the exact table on the same tensor gives the codec decode bit for bit', async () => {
    const model = gatherModel(w, cols);
    writeDecodeGraph(model, 'W', [ROWS, cols], enc, 'load', 'exact');
    expect(graphProblems(model)).toEqual([]);
    expect(Array.from(await runGather(model))).toEqual(Array.from(exact));
  });
});
