import {
  createRunContext,
  DataType,
  parseParams,
  type CalibrationSet,
  type CalibrationSource,
  type OnnxModel,
  type RunContext,
} from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import {
  cloneModel,
  expectUserError,
  relativeMaxDiff,
  runModel,
  seededWeights,
  sessions,
} from '../int8/testkit.fixture.js';
import { rtnQuantize } from './math.js';
import { unpackGptq } from './pack.js';
import { GPTQ_PARAMS, GptqCompressor } from './plugin.js';

const F = DataType.FLOAT;
const gptq = (raw: Record<string, unknown>) => parseParams(GPTQ_PARAMS, raw, 'gptq');
const K1 = 64;
const H1 = 48;
const OUT = 32;

/** x [1, T, 64] -> MatMul W1 -> Relu -> MatMul W2 -> y; a Gemm head on the side (conv-gemm.test.ts covers gptq on Gemm). */
function model(): OnnxModel {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', F, [1, 'T', K1]);
  const h = g.relu(g.matMul(x, g.initializer('W1', F, [K1, H1], seededWeights(K1 * H1, 1, 0.4))));
  g.output(g.matMul(h, g.initializer('W2', F, [H1, OUT], seededWeights(H1 * OUT, 2, 0.3))), F);
  const flat = g.input('z', F, [2, 40]);
  g.output(g.gemm(flat, g.initializer('G', F, [40, 30], seededWeights(1200, 3))), F);
  return g.build();
}

/** Inputs with correlated features (4 shared factors + noise), as a real layer's are. */
function inputs(count: number, T: number, seed: number): Float32Array[] {
  return Array.from({ length: count }, (_, s) => {
    const z = seededWeights(T * 4, seed + s, 1);
    const mix = seededWeights(4 * K1, 99, 1);
    const noise = seededWeights(T * K1, seed + 1000 + s, 0.1);
    return Float32Array.from({ length: T * K1 }, (_, i) => {
      const t = Math.floor(i / K1);
      const k = i % K1;
      let v = noise[i];
      for (let f = 0; f < 4; f++) v += z[t * 4 + f] * mix[f * K1 + k];
      return v;
    });
  });
}

const feed = (x: Float32Array) => ({
  x: { type: 'float32' as const, data: x, dims: [1, x.length / K1, K1] },
  z: { type: 'float32' as const, data: new Float32Array(80).fill(0.5), dims: [2, 40] },
});

function calibration(xs: Float32Array[]): CalibrationSource {
  const set: CalibrationSet = {
    info: { dataset: 'unit-test', samples: xs.length, seqlen: xs[0].length / K1, seed: 0 },
    samples: xs.map((x) => ({ kind: 'feeds' as const, feeds: feed(x) })),
  };
  return { info: set.info, load: async () => set };
}

const CALIB = inputs(8, 32, 10);
const ctxWith = (cal?: CalibrationSource): RunContext => ({
  ...createRunContext({ sessions, progressMode: 'silent' }),
  calibration: cal,
});
const attr = (m: OnnxModel, node: string, name: string) =>
  Number(m.nodes.find((n) => n.name === node)!.attribute!.find((a) => a.name === name)!.i);

/** The float model with each MatMulNBits weight replaced by its dequantized values (read from the stored tensors). */
function denseReference(original: OnnxModel, q: OnnxModel): OnnxModel {
  const ref = cloneModel(original);
  for (const node of q.nodes.filter((n) => n.opType === 'MatMulNBits')) {
    const [, b, s, z] = node.input!;
    const get = (name: string) => q.getInitializer(name)!;
    const a = (name: string) => Number(node.attribute!.find((x) => x.name === name)!.i);
    const c = unpackGptq(
      {
        B: get(b).readTyped() as Uint8Array,
        scales: get(s).readFloat32(),
        zeroPoints: z ? (get(z).readTyped() as Uint8Array) : undefined,
        K: a('K'),
        N: a('N'),
        blockSize: a('block_size'),
        bits: a('bits') as 2 | 4 | 8,
      },
      'float32',
    );
    const dense = new Float32Array(c.K * c.N);
    const padded = c.kBlocks * c.groupSize;
    for (let n = 0; n < c.N; n++)
      for (let k = 0; k < c.K; k++) {
        const g = n * c.kBlocks + Math.floor(k / c.groupSize);
        dense[k * c.N + n] = Math.fround((c.codes[n * padded + k] - c.zeroPoints[g]) * c.scales[g]);
      }
    ref.setInitializer(original.nodes.find((n) => n.name === node.name)!.input![1], F, [c.K, c.N], dense);
  }
  return ref;
}

describe('gptq compressor', () => {
  it.each([
    [2, 'asym', false],
    [3, 'sym', true],
    [4, 'sym', false],
    [4, 'asym', true],
    [8, 'sym', false],
  ] as const)(
    '%i bits %s act-order %s: MatMulNBits runs in onnxruntime and equals the float model from the dequantized weights',
    async (bits, scheme, actOrder) => {
      const original = model();
      const m = cloneModel(original);
      const report = await new GptqCompressor().compress(
        m,
        gptq({ bits, scheme, 'group-size': 16, 'act-order': actOrder, exclude: ['G'] }),
        ctxWith(calibration(CALIB)),
      );
      expect(report.tensors.filter((t) => t.action === `gptq-${bits}bit`).map((t) => t.name)).toEqual(['W1', 'W2']);
      const stored = bits === 3 ? 4 : bits;
      expect(attr(m, m.nodes.find((n) => n.opType === 'MatMulNBits')!.name!, 'bits')).toBe(stored);
      // bits per weight as stored: codes + float32 scale per 16 (+ a zero point byte share for asym)
      const zpBits = scheme === 'asym' ? (8 * Math.ceil((4 * stored) / 8)) / 4 / 16 : 0; // K1 = 64: 4 groups per output
      expect(report.tensors.find((t) => t.name === 'W1')!.bitsPerWeight).toBeCloseTo(stored + 32 / 16 + zpBits, 10);
      expect(report.notes.join('\n')).toMatch(/sequential: 2 stages/);
      const test = inputs(2, 16, 500).map(feed);
      for (const f of test) {
        const got = await runModel(m, f);
        const want = await runModel(denseReference(original, m), f);
        for (const name of Object.keys(want))
          expect(relativeMaxDiff(got[name].data as Float32Array, want[name].data as Float32Array)).toBeLessThan(1e-5);
      }
    },
  );

  it("beats RTN on the same grid on the first layer's output over held-out inputs", async () => {
    const m = cloneModel(model());
    await new GptqCompressor().compress(
      m,
      gptq({ bits: 3, 'group-size': 16, include: ['W1'] }),
      ctxWith(calibration(CALIB)),
    );
    const ref = denseReference(model(), m);
    const W = model().getInitializer('W1')!.readFloat32();
    const Q = ref.getInitializer('W1')!.readFloat32();
    const R = rtnQuantize(W, K1, H1, { bits: 3, scheme: 'sym', groupSize: 16 }).dequantized;
    const err = (D: Float32Array) =>
      inputs(4, 32, 700).reduce((sum, x) => {
        for (let t = 0; t < x.length / K1; t++)
          for (let n = 0; n < H1; n++) {
            let d = 0;
            for (let k = 0; k < K1; k++) d += x[t * K1 + k] * (W[k * H1 + n] - D[k * H1 + n]);
            sum += d * d;
          }
        return sum;
      }, 0);
    expect(err(Q)).toBeLessThan(0.8 * err(R));
  });

  it('sequential calibration sees the quantized first layer; --no-sequential does not', async () => {
    const a = cloneModel(model());
    const b = cloneModel(model());
    const ra = await new GptqCompressor().compress(
      a,
      gptq({ bits: 2, scheme: 'asym', 'group-size': 16 }),
      ctxWith(calibration(CALIB)),
    );
    const rb = await new GptqCompressor().compress(
      b,
      gptq({ bits: 2, scheme: 'asym', 'group-size': 16, sequential: false }),
      ctxWith(calibration(CALIB)),
    );
    expect(rb.notes.join('\n')).toMatch(/not sequential/);
    const codes = (m: OnnxModel, w: string) => Array.from(m.getInitializer(`${w}_q2`)!.readTyped() as Uint8Array);
    expect(codes(a, 'W1')).toEqual(codes(b, 'W1')); // stage 1 sees the same float input either way
    expect(codes(a, 'W2')).not.toEqual(codes(b, 'W2'));
    expect(ra.notes.join('\n')).toMatch(/calibration: 8 windows of 32 tokens from unit-test/);
  });

  it('decompress gives back MatMul with exactly the dequantized weights', async () => {
    const original = model();
    const m = cloneModel(original);
    await new GptqCompressor().compress(
      m,
      gptq({ bits: 4, scheme: 'asym', 'group-size': 32, exclude: ['G'] }),
      ctxWith(calibration(CALIB)),
    );
    const ref = denseReference(original, m);
    await new GptqCompressor().decompress(m, ctxWith());
    expect(m.nodes.some((n) => n.opType === 'MatMulNBits')).toBe(false);
    for (const w of ['W1', 'W2'])
      expect(Array.from(m.getInitializer(w)!.readFloat32())).toEqual(Array.from(ref.getInitializer(w)!.readFloat32()));
    expect(m.initializerNames().some((n) => /_q4|_scales|_zp/.test(n))).toBe(false);
  });

  describe('bad input: one UserError (exit 2), the model untouched', () => {
    it.each([
      [{ bits: 5 }, /--bits must be 2, 3, 4 or 8/],
      [{ 'group-size': 48 }, /--group-size must be a power of two/],
    ])('%j', async (params, message) => {
      const m = model();
      const e = await expectUserError(
        new GptqCompressor().compress(m, gptq(params), ctxWith(calibration(CALIB))),
        'E_BAD_PARAM',
      );
      expect(e.message).toMatch(message);
      expect(m.nodes.some((n) => n.opType === 'MatMulNBits')).toBe(false);
    });

    it('no calibration data: names the flag to pass', async () => {
      const e = await expectUserError(new GptqCompressor().compress(model(), gptq({}), ctxWith()), 'E_BAD_PARAM');
      expect(e.message).toMatch(/gptq needs calibration data/);
      expect(e.hint).toMatch(/--calib-dataset/);
    });

    it('a model with no MatMul, Gemm or Conv weight (an embedding table only)', async () => {
      const g = new GraphBuilder({ opset: 17 });
      g.output(
        g.gather(g.initializer('E', F, [40, 30], seededWeights(1200, 3)), g.input('ids', DataType.INT64, [2])),
        F,
      );
      const e = await expectUserError(
        new GptqCompressor().compress(g.build(), gptq({}), ctxWith(calibration(CALIB))),
        'E_NOTHING_TO_COMPRESS',
      );
      expect(e.hint).toMatch(/int4 or int8/);
    });
  });
});

describe('gptq on a weight read by two MatMuls at different depths', () => {
  it('solves it once, in the later stage, with the statistics of both inputs', async () => {
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('x', F, [1, 'T', K1]);
    const shared = g.initializer('S', F, [K1, K1], seededWeights(K1 * K1, 5, 0.2));
    const h = g.relu(g.matMul(x, shared));
    g.output(g.matMul(h, shared), F);
    const original = g.build();
    const m = cloneModel(original);
    const onlyX: CalibrationSet = {
      info: { dataset: 'unit-test', samples: 4 },
      samples: CALIB.slice(0, 4).map((x) => ({ kind: 'feeds' as const, feeds: { x: feed(x).x } })),
    };
    const report = await new GptqCompressor().compress(
      m,
      gptq({ 'group-size': 16 }),
      ctxWith({ info: onlyX.info, load: async () => onlyX }),
    );
    expect(report.tensors.filter((t) => t.action === 'gptq-4bit').map((t) => t.name)).toEqual(['S']);
    expect(report.notes.join('\n')).toMatch(/sequential: 1 stage,/);
    expect(m.nodes.filter((n) => n.opType === 'MatMulNBits')).toHaveLength(2);
    const f = { x: feed(CALIB[0]).x };
    const got = await runModel(m, f);
    const want = await runModel(denseReference(original, m), f);
    for (const name of Object.keys(want))
      expect(relativeMaxDiff(got[name].data as Float32Array, want[name].data as Float32Array)).toBeLessThan(1e-5);
  });
});
