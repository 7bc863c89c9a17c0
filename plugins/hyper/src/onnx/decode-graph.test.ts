/**
 * A hyper-encoded weight written into a model and run by a plain onnxruntime session, at opsets 9,
 * 10, 11, 13 and 21, as a call of the shared decode function (IR 8) and inline (IR 7 and 3), for an odd
 * and an even element count: the exact table (spec §9.2 option A) gives the codec's decode bit for
 * bit; the compact table (option B) gives a float32 emulation of its ops bit for bit, within the
 * rounding bound of the exact decode; --decode load is folded at session start, --decode run is
 * not; every written model passes the graph check. Also the table byte counts and choice, by hand.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DataType, OnnxModel } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import {
  codebook,
  decodeIndices,
  decodeTensor,
  encodeTensor,
  PRESETS,
  shellScales,
  type HyperEncodedTensor,
} from '../codec/index.js';
import { constantBytes, decodeBody, FUNCTION_DOMAIN, indicesBody } from './decode-body.js';
import { decodeCosts, writeDecodeGraph } from './decode-graph.js';
import { chooseDecodeTable, storedBytes, tableBytes, type DecodeTable } from './decode-tables.js';
import { graphProblems } from './valid-graph.fixture.js';

/** A stand-in encoding: only n, K, numel, pad and the byte count matter to the byte counts. */
function fakeEnc(numel: number, n: number, K: number, bits: number): HyperEncodedTensor {
  const pairs = Math.ceil(numel / 2);
  const bytes = new Uint8Array(Math.ceil((pairs * bits) / 8));
  return {
    kind: 'hyper',
    name: 'w',
    numel,
    pairs,
    pad: (numel % 2) as 0 | 1,
    nIndex: 0,
    n,
    K,
    l: 0.1,
    cx: 0,
    cy: 0,
    fx: 1,
    fy: 1,
    bits,
    nz: 0,
    bytes,
    mae: 0,
  };
}

describe('decode table bytes and choice (spec §9.2)', () => {
  // n = 225, K = 3: exact LUT 226·4 rows × 8 B = 7232 B; compact T 226 × 8 = 1808, S 4 × 4 = 16,
  // c 8: 1832 B. Per tensor also 2 guard bytes and the int64 header [bits, nz, numel, ...shape]:
  // 8·(3 + rank) = 40 B for rank 2. 10-bit indices (904 rows).
  it('counts the tables by hand', () => {
    expect(tableBytes('exact', 225, 3)).toBe(7232);
    expect(tableBytes('compact', 225, 3)).toBe(1832);
    expect(tableBytes('compact', 225, 0)).toBe(1808); // K = 0: the exact table is T itself
    expect(tableBytes('exact', 225, 0)).toBe(1808);
    // 1024 weights: 512 pairs × 10 bits = 640 B of indices
    expect(storedBytes(fakeEnc(1024, 225, 3, 10), 2, 'exact')).toBe(640 + 2 + 40 + 7232); // 7914
    expect(storedBytes(fakeEnc(1024, 225, 3, 10), 2, 'compact')).toBe(640 + 2 + 40 + 1832); // 2514
  });

  it('auto: exact while it saves bytes, then compact, then float32', () => {
    // 4096 weights: float32 16384 B; exact 2560 + 42 + 7232 = 9834 B < 16384
    expect(chooseDecodeTable(fakeEnc(4096, 225, 3, 10), 2, 'auto')).toBe('exact');
    // 1024 weights: float32 4096 B; exact 7914 B >= 4096, compact 2514 B < 4096
    expect(chooseDecodeTable(fakeEnc(1024, 225, 3, 10), 2, 'auto')).toBe('compact');
    // 556 weights: float32 2224 B; 278 pairs × 10 bits = 348 B; compact 348 + 42 + 1832 = 2222 B < 2224
    expect(chooseDecodeTable(fakeEnc(556, 225, 3, 10), 2, 'auto')).toBe('compact');
    // 555 weights: float32 2220 B; compact 2222 B, not less: float32
    expect(chooseDecodeTable(fakeEnc(555, 225, 3, 10), 2, 'auto')).toBeNull();
  });

  it('exact and compact policies only ever give their own table (K = 0: exact, the same bytes)', () => {
    expect(chooseDecodeTable(fakeEnc(1024, 225, 3, 10), 2, 'exact')).toBeNull();
    expect(chooseDecodeTable(fakeEnc(4096, 225, 3, 10), 2, 'compact')).toBe('compact');
    expect(chooseDecodeTable(fakeEnc(4096, 225, 0, 8), 2, 'compact')).toBe('exact');
  });

  it('the decode program: its constants once per model, in functions (IR 8) or shared initializers (IR 7)', () => {
    const model = (ir: number) => gatherModel(new Float32Array(ROWS * 4), 4, 13, ir);
    const fn = decodeCosts(model(8), 'auto');
    const inline = decodeCosts(model(7), 'auto');
    expect(fn.form).toBe('function');
    expect(inline.form).toBe('inline');
    // Indices: 0, 1, 2, 8, 24, 256, 65536, 2^0..2^23 (31 values); Decode and DecodeCompact each:
    // [-1], [0], [2], [3], [2^31 − 1], DecodeCompact also 0 (the codebook's row); inline, one
    // initializer per distinct value: 31 + 5
    expect(fn.shared).toBe(8 * (31 + 5 + 6));
    expect(inline.shared).toBe(8 * (31 + 5));
    expect(decodeCosts(model(8), 'exact').shared).toBe(8 * (31 + 5)); // --decode-table exact never writes DecodeCompact
  });
});

/** Deterministic N(0, sd) weights (Box-Muller over a 32-bit LCG). */
function normal(n: number, seed: number, sd: number): Float32Array {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 1) / 2 ** 32;
  return Float32Array.from({ length: n }, () => sd * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

const ROWS = 23;
/** y = Gather(W, ids): with ids = 0..ROWS−1 the output is W itself, exactly as the graph decoded it. */
function gatherModel(w: Float32Array, cols: number, opset: number, irVersion: number): OnnxModel {
  const g = new GraphBuilder({ opset, irVersion });
  const ids = g.input('ids', DataType.INT64, [ROWS]);
  g.output(g.gather(g.initializer('W', DataType.FLOAT, [ROWS, cols], w), ids), DataType.FLOAT, [ROWS, cols]);
  const model = g.build();
  // a legacy export (IR < 4) lists every initializer as a graph input
  if (irVersion < 4)
    model.inputs.push({
      name: 'W',
      type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: ROWS }, { dimValue: cols }] } } },
    });
  return model;
}

/** W as the session computes it, and the op types left in the graph onnxruntime optimized. */
async function runGather(
  model: OnnxModel,
  options: ort.InferenceSession.SessionOptions = {},
): Promise<{ y: Float32Array; ops: string[] }> {
  const optimizedModelFilePath = join(mkdtempSync(join(tmpdir(), 'mc-hyper-graph-')), 'opt.onnx');
  const session = await ort.InferenceSession.create(model.toBytes(), {
    logSeverityLevel: 3,
    optimizedModelFilePath,
    ...options,
  });
  const ids = new ort.Tensor(
    'int64',
    BigInt64Array.from({ length: ROWS }, (_, i) => BigInt(i)),
    [ROWS],
  );
  const out = await session.run({ ids });
  const y = out[session.outputNames[0]].data as Float32Array;
  await session.release();
  return { y, ops: OnnxModel.fromBytes(readFileSync(optimizedModelFilePath)).nodes.map((n) => n.opType ?? '') };
}

/** What option B's graph computes, op by op in float32 (T and S cast once from float64, c float32), and the bound to the exact decode. */
function emulateCompact(enc: HyperEncodedTensor): { emulated: Float32Array; bound: Float64Array } {
  const f = Math.fround;
  const T = codebook(enc.n, enc.l, enc.cx, enc.cy);
  const S = shellScales(enc);
  const emulated = new Float32Array(2 * enc.pairs);
  const bound = new Float64Array(2 * enc.pairs);
  decodeIndices(enc).forEach((i, p) => {
    const s = Math.floor(i / (enc.n + 1));
    const j = i - s * (enc.n + 1);
    for (const [k, c] of [
      [0, enc.cx],
      [1, enc.cy],
    ] as const) {
      const a = T[2 * j + k];
      emulated[2 * p + k] = f(f(f(f(a) - f(c)) * f(S[s])) + f(c));
      // 5 roundings by u = 2^-24 (cast of T and S, Sub, Mul, Add) plus the exact decode's own one:
      // |graph − exact| <= u·(|a|·S + 3·|a − c|·S + 2·|w|) to first order; 1.001 covers the u² terms.
      const wv = Math.abs((a - c) * S[s] + c);
      bound[2 * p + k] = 1.001 * 2 ** -24 * (Math.abs(a) * S[s] + 3 * Math.abs(a - c) * S[s] + 2 * wv);
    }
  });
  return { emulated: emulated.subarray(0, enc.numel), bound };
}

// 23 × 23 = 529 weights (odd: the decode drops the pad value) and 23 × 24 = 552 (even)
const TENSORS = [23, 24].map((cols) => {
  const w = normal(ROWS * cols, cols, 0.05);
  const enc = encodeTensor('W', w, PRESETS.unet) as HyperEncodedTensor;
  return { cols, w, enc, exact: decodeTensor(enc), ...emulateCompact(enc) };
});

describe.each([9, 10, 11, 13, 21])('a hyper weight in onnxruntime at opset %i', (opset) => {
  it('the tensors have shells (so option B really scales) and both parities', () => {
    expect(TENSORS.map((t) => t.enc.pad)).toEqual([1, 0]);
    for (const t of TENSORS) expect(t.enc.K).toBeGreaterThanOrEqual(1);
  });

  // IR 3: every initializer is a graph input too (and a constant); --decode run needs IR 4
  describe.each([
    ['function', 8],
    ['inline', 7],
    ['inline', 3],
  ] as const)('written as %s (IR %i)', (form, ir) => {
    it.each(['exact', 'compact'] as const)(
      '%s table: --decode load folded, --decode run per inference, both the same weights',
      async (table: DecodeTable) => {
        for (const t of TENSORS) {
          const want = table === 'exact' ? t.exact : t.emulated;
          for (const mode of ir < 4 ? (['load'] as const) : (['load', 'run'] as const)) {
            const model = gatherModel(t.w, t.cols, opset, ir);
            const written = writeDecodeGraph(model, 'W', [ROWS, t.cols], t.enc, mode, table);
            expect(written.table).toBe(table);
            expect(graphProblems(model)).toEqual([]);
            expect(model.proto.functions?.length ?? 0).toBe(form === 'function' ? 2 : 0); // Decode(Compact) + Indices
            expect(model.nodes.filter((n) => n.domain === FUNCTION_DOMAIN).length).toBe(form === 'function' ? 1 : 0);
            // inline: no Constant node, the constants are shared initializers
            expect(model.nodes.some((n) => n.opType === 'Constant')).toBe(false);
            const shared = model.initializerNames().filter((n) => n.startsWith('mc.hyper.'));
            expect(shared.length > 0).toBe(form === 'inline');
            expect(written.sharedBytes).toBe(
              shared.reduce(
                (a, n) => a + model.getInitializer(n)!.byteLength,
                form === 'function' ? constantBytes([decodeBody({ table, opset, odd: t.enc.pad === 1 })]) : 0,
              ),
            );
            if (ir < 4) expect(model.inputs.map((i) => i.name)).toEqual(['ids', ...written.inputs, ...shared]);
            const { y, ops } = await runGather(model);
            expect(Array.from(y)).toEqual(Array.from(want));
            // load: only the model's own Gather is left; run: the unpack runs per inference
            if (mode === 'load') expect(ops).toEqual(['Gather']);
            else expect(ops.length).toBeGreaterThan(5);
            if (mode === 'run') {
              expect(model.inputs.map((i) => i.name)).toEqual(['ids', written.inputs[0]]);
              const plain = await runGather(model, { graphOptimizationLevel: 'disabled' });
              expect(Array.from(plain.y)).toEqual(Array.from(want));
            }
          }
          if (table === 'compact') {
            for (let i = 0; i < t.enc.numel; i++)
              expect(Math.abs(t.emulated[i] - t.exact[i])).toBeLessThanOrEqual(t.bound[i]);
            // option B is really not option A here: some values are ulps away from the exact decode
            expect(Array.from(t.exact.keys()).some((i) => t.emulated[i] !== t.exact[i])).toBe(true);
            expect(
              Math.max(...Array.from(t.exact.keys(), (i) => Math.abs(t.emulated[i] - t.exact[i]))),
            ).toBeLessThanOrEqual(2.4e-7); // spec §9.2
          }
        }
      },
    );
  });
});

describe('what writeDecodeGraph stores', () => {
  it('bytes counted by hand; the functions are written once, for the first tensor that needs them', () => {
    const [a, b] = TENSORS;
    const g = new GraphBuilder({ opset: 13 });
    const ids = g.input('ids', DataType.INT64, [ROWS]);
    g.output(g.gather(g.initializer('A', DataType.FLOAT, [ROWS, a.cols], a.w), ids), DataType.FLOAT);
    g.output(g.gather(g.initializer('B', DataType.FLOAT, [ROWS, b.cols], b.w), ids), DataType.FLOAT);
    const model = g.build();
    const first = writeDecodeGraph(model, 'A', [ROWS, a.cols], a.enc, 'load', 'compact');
    // packed + guard, header 8·(3 + 2), T 8(n+1), S 4(K+1), c 8
    expect(first.bytes).toBe(a.enc.bytes.length + 2 + 40 + 8 * (a.enc.n + 1) + 4 * (a.enc.K + 1) + 8);
    expect(first.inputs).toEqual([
      'A.hyper.packed',
      'A.hyper.header',
      'A.hyper.codebook',
      'A.hyper.scales',
      'A.hyper.centre',
    ]);
    expect(first.sharedBytes).toBe(constantBytes([decodeBody({ table: 'compact', opset: 13, odd: true })])); // Indices + DecodeCompact
    const second = writeDecodeGraph(model, 'B', [ROWS, b.cols], b.enc, 'load', 'compact');
    expect(second.sharedBytes).toBe(0);
    const third = writeDecodeGraph(model, 'B2', [ROWS, b.cols], b.enc, 'load', 'exact');
    expect(third.sharedBytes).toBe(
      constantBytes([decodeBody({ table: 'exact', opset: 13, odd: true })]) - constantBytes([indicesBody(13)]),
    ); // Decode only
    expect(model.proto.functions!.map((f) => f.name)).toEqual(['Indices', 'DecodeCompact', 'Decode']);
    expect(model.opset(FUNCTION_DOMAIN)).toBe(1);
  });
});
