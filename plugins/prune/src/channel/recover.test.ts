/**
 * Channel pruning with recovery on a GraphBuilder net whose pruned channels are redundant by
 * construction: channel 3 of conv1 is 2 x channel 1 (ReLU keeps the factor) and channel 2 is a
 * bias-only constant. Removing them and refitting must give back the dense outputs of a Conv
 * consumer and of a ConvTranspose consumer (offsets solved jointly, the constant folded into the
 * bias), where the L1 choice without refit cannot; the same for Gemm/MatMul heads after a global
 * pool and for two Convs coupled by a skip Add (one choice for both). Also: the report's per-layer
 * errors, and the refusal of an overlapping ConvTranspose by name.
 */
import {
  DataType,
  ErrorCodes,
  type OnnxModel,
  createRunContext,
  OrtSessionFactory,
  parseParams,
  type CalibrationSet,
  type HostTensor,
} from '@mc-kit/core';
import { attr, GraphBuilder } from '@mc-kit/core/testing';
import { PRUNE_PARAMS } from '../options.js';
import { PruneCompressor } from '../plugin.js';
import type { PruneTensorReport } from '../report.js';

const sessions = new OrtSessionFactory({ device: 'cpu' });
const wave = (n: number, f: number, phase = 0) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * f + phase));

/** x [N,2,8,8] -> conv1 (4 out, 3x3 pad 1) -> Relu = r; y1 = conv2(r) 3x3 valid (3 out); y2 = ConvTranspose(r) (3 out, kernel k, stride 2) */
function redundantNet(convTKernel = 2): OnnxModel {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, ['N', 2, 8, 8]);
  const w1 = wave(4 * 18, 0.9);
  for (let i = 0; i < 18; i++) {
    w1[3 * 18 + i] = 2 * w1[18 + i]; // channel 3 = 2 x channel 1
    w1[2 * 18 + i] = 0; // channel 2: bias only
  }
  const b1 = new Float32Array([0.1, 0.2, 0.5, 0.4]);
  const r = g.relu(
    g.conv(
      x,
      g.initializer('conv1.weight', DataType.FLOAT, [4, 2, 3, 3], w1),
      g.initializer('conv1.bias', DataType.FLOAT, [4], b1),
      { pads: [1, 1, 1, 1] },
    ),
  );
  const y1 = g.conv(
    r,
    g.initializer('conv2.weight', DataType.FLOAT, [3, 4, 3, 3], wave(108, 1.7, 0.3)),
    g.initializer('conv2.bias', DataType.FLOAT, [3], new Float32Array([0, 0.1, -0.1])),
  );
  const kk = convTKernel * convTKernel;
  const wt = wave(4 * 3 * kk, 2.3, 1);
  for (let co = 0; co < 3; co++) wt.fill(0.3 * (co + 1), (2 * 3 + co) * kk, (2 * 3 + co + 1) * kk); // the constant channel meets every offset alike
  const y2 = g.node(
    'ConvTranspose',
    [
      r,
      g.initializer('up.weight', DataType.FLOAT, [4, 3, convTKernel, convTKernel], wt),
      g.initializer('up.bias', DataType.FLOAT, [3], new Float32Array([0.2, 0, 0])),
    ],
    {
      kernel_shape: attr.ints([convTKernel, convTKernel]),
      strides: attr.ints([2, 2]),
    },
  )[0];
  g.output(y1, DataType.FLOAT);
  g.output(y2, DataType.FLOAT);
  return g.build();
}

const feeds = (k: number): Record<string, HostTensor> => ({
  x: { type: 'float32', dims: [2, 2, 8, 8], data: wave(256, 0.37 + 0.11 * k, k) },
});
const calibration: CalibrationSet = {
  info: {
    dataset: 'waves',
    samples: 6,
    kind: 'image',
    seed: 0,
    image: { input: 'x', channels: 2, height: 8, width: 8, preprocess: 'as fed' },
  },
  samples: Array.from({ length: 6 }, (_, k) => ({ kind: 'feeds' as const, feeds: feeds(k) })),
};
const ctx = (calibrated: boolean) =>
  createRunContext({
    sessions,
    progressMode: 'silent',
    calibration: calibrated ? { info: calibration.info, load: async () => calibration } : undefined,
  });
const params = (raw: Record<string, unknown>) =>
  parseParams(PRUNE_PARAMS, { algo: 'channel', 'min-size': '1', ratio: '0.5', ...raw }, 'prune');

/** Each output over the inputs `ks` (9: not a calibration input), concatenated. */
async function outputs(model: OnnxModel, ks: readonly number[] = [9]): Promise<Float32Array[]> {
  const s = await sessions.create(model.toBytes());
  try {
    const runs: Awaited<ReturnType<typeof s.run>>[] = [];
    for (const k of ks) runs.push(await s.run(feeds(k)));
    return model.outputs.map((o) =>
      Float32Array.from(runs.flatMap((out) => [...(out[o.name ?? ''].data as Float32Array)])),
    );
  } finally {
    await s.release();
  }
}

const relErr = (a: Float32Array, b: Float32Array) =>
  Math.sqrt(a.reduce((n, v, i) => n + (v - b[i]) ** 2, 0) / a.reduce((n, v) => n + v * v, 0));

/** The same redundant conv1, then GlobalAveragePool -> Flatten -> Gemm (transB, alpha 0.5, beta 2, or without C) or MatMul. */
function pooledNet(head: 'gemm' | 'gemm-no-bias' | 'matmul'): OnnxModel {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, ['N', 2, 8, 8]);
  const w1 = wave(4 * 18, 0.9);
  for (let i = 0; i < 18; i++) {
    w1[3 * 18 + i] = 2 * w1[18 + i];
    w1[2 * 18 + i] = 0;
  }
  const r = g.relu(
    g.conv(
      x,
      g.initializer('conv1.weight', DataType.FLOAT, [4, 2, 3, 3], w1),
      g.initializer('conv1.bias', DataType.FLOAT, [4], new Float32Array([0.1, 0.2, 0.5, 0.4])),
      { pads: [1, 1, 1, 1] },
    ),
  );
  const f = g.flatten(g.globalAveragePool(r), 1);
  const y =
    head === 'matmul'
      ? g.node('MatMul', [f, g.initializer('fc.weight', DataType.FLOAT, [4, 3], wave(12, 1.3))])[0]
      : g.node(
          'Gemm',
          [
            f,
            g.initializer('fc.weight', DataType.FLOAT, [3, 4], wave(12, 1.3)),
            ...(head === 'gemm'
              ? [g.initializer('fc.bias', DataType.FLOAT, [3], new Float32Array([0.1, -0.2, 0.3]))]
              : []),
          ],
          {
            transB: attr.int(1),
            alpha: attr.float(0.5),
            beta: attr.float(2),
          },
        )[0];
  g.output(y, DataType.FLOAT);
  return g.build();
}

/** Two Convs coupled by a skip Add (both with channel 3 = 2 x channel 1), Relu, then a 1x1 Conv head. */
function coupledNet(): OnnxModel {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, ['N', 2, 8, 8]);
  const conv = (name: string, phase: number) => {
    const w = wave(4 * 18, 0.9, phase);
    for (let i = 0; i < 18; i++) w[3 * 18 + i] = 2 * w[18 + i];
    const b = new Float32Array([0.1, 0.2, 0.3, 0.4]);
    return g.conv(
      x,
      g.initializer(`${name}.weight`, DataType.FLOAT, [4, 2, 3, 3], w),
      g.initializer(`${name}.bias`, DataType.FLOAT, [4], b),
      { pads: [1, 1, 1, 1] },
    );
  };
  const r = g.relu(g.add(conv('a', 0), conv('b', 1)));
  g.output(
    g.conv(
      r,
      g.initializer('head.weight', DataType.FLOAT, [3, 4, 1, 1], wave(12, 1.1)),
      g.initializer('head.bias', DataType.FLOAT, [3], new Float32Array(3)),
    ),
    DataType.FLOAT,
  );
  return g.build();
}

describe('channel pruning with recovery', () => {
  it('gives the two Convs of a skip Add one choice, the redundant channel, and refits the head to the dense output', async () => {
    const dense = await outputs(coupledNet());
    const model = coupledNet();
    await new PruneCompressor().compress(model, params({ recover: 'obs', damp: '1e-9', ratio: '0.25' }), ctx(true));
    expect(model.getInitializer('a.weight')!.dims[0]).toBe(3);
    expect(model.getInitializer('b.weight')!.dims[0]).toBe(3);
    expect(relErr(dense[0], (await outputs(model))[0])).toBeLessThan(1e-4);
  });

  it.each([
    ['Gemm (transB, alpha 0.5, beta 2): both redundant channels, the constant into C', 'gemm' as const, '0.5'],
    ['Gemm without C: the bias it needs is added', 'gemm-no-bias' as const, '0.5'],
    ['MatMul (no bias slot): the duplicate channel', 'matmul' as const, '0.25'],
  ])('refits the head after a global pool to the dense output: %s', async (_, head, ratio) => {
    const dense = await outputs(pooledNet(head));
    const model = pooledNet(head);
    await new PruneCompressor().compress(model, params({ recover: 'obs', damp: '1e-9', ratio }), ctx(true));
    expect(model.getInitializer('conv1.weight')!.dims[0]).toBe(ratio === '0.5' ? 2 : 3);
    expect(relErr(dense[0], (await outputs(model))[0])).toBeLessThan(1e-4);
    if (head === 'gemm-no-bias')
      expect(model.getInitializer(model.nodes.find((n) => n.opType === 'Gemm')!.input![2])!.dims).toEqual([3]);
  });

  it('removes the redundant channels and refits Conv and ConvTranspose consumers to the dense outputs; the L1 choice without refit cannot', async () => {
    const dense = await outputs(redundantNet());
    const model = redundantNet();
    const report = await new PruneCompressor().compress(model, params({ recover: 'obs', damp: '1e-9' }), ctx(true));
    expect(model.getInitializer('conv1.weight')!.dims).toEqual([2, 2, 3, 3]);
    const pruned = await outputs(model);
    for (const [i, y] of pruned.entries()) expect(relErr(dense[i], y)).toBeLessThan(1e-4);
    // per-layer errors: dropping the inputs costs something, the refit gives it back
    const byName = new Map(
      (report.tensors as PruneTensorReport[]).filter((t) => t.action !== 'skipped').map((t) => [t.name, t]),
    );
    for (const w of ['conv2.weight', 'up.weight']) {
      expect(byName.get(w)!.outputErrorBefore!).toBeGreaterThan(1e-2);
      expect(byName.get(w)!.outputError!).toBeLessThan(1e-4);
    }
    expect(report.notes.join('\n')).toMatch(/calibration: 6 images \(2x8x8, as fed\) fed to x from waves, seed 0/);
    expect(report.qualityRisk).toBeUndefined();

    const l1 = redundantNet();
    const none = await new PruneCompressor().compress(l1, params({}), ctx(false));
    expect(none.qualityRisk).toMatch(/no --calib-dataset/);
    const l1Out = await outputs(l1);
    expect(Math.max(...l1Out.map((y, i) => relErr(dense[i], y)))).toBeGreaterThan(1e-2);
  });

  it('--recover refit keeps the L1 choice and refits: on the calibration inputs, the least-squares optimum beats dropping', async () => {
    // the consumers are the graph outputs here, so their layer error on the calibration data is the output error
    const calib = [0, 1, 2, 3, 4, 5];
    const dense = await outputs(redundantNet(), calib);
    const model = redundantNet();
    await new PruneCompressor().compress(model, params({ recover: 'refit', damp: '1e-9' }), ctx(true));
    const pruned = await outputs(model, calib);
    const l1 = redundantNet();
    await new PruneCompressor().compress(l1, params({ recover: 'none' }), ctx(true));
    expect(l1.getInitializer('conv1.weight')!.readFloat32()).toEqual(
      model.getInitializer('conv1.weight')!.readFloat32(),
    ); // the same L1 choice
    const l1Out = await outputs(l1, calib);
    for (const [i, y] of pruned.entries()) expect(relErr(dense[i], y)).toBeLessThan(relErr(dense[i], l1Out[i]));
  });

  it('refuses an overlapping ConvTranspose (kernel 3, stride 2) by name when a refit is asked, and prunes it with --recover none', async () => {
    const model = redundantNet(3);
    const before = model.getInitializer('conv1.weight')!.readFloat32();
    await expect(new PruneCompressor().compress(model, params({ recover: 'obs' }), ctx(true))).rejects.toMatchObject({
      code: ErrorCodes.UNSUPPORTED,
      message: expect.stringMatching(
        /ConvTranspose node .* reads pruned channels, and mc refits a ConvTranspose only when its stride equals its 2-D kernel/,
      ),
    });
    expect(model.getInitializer('conv1.weight')!.readFloat32()).toEqual(before);
    await new PruneCompressor().compress(model, params({ recover: 'none' }), ctx(true));
    expect(model.getInitializer('conv1.weight')!.dims).toEqual([2, 2, 3, 3]);
  });

  it('--recover obs or refit without calibration data: one clear error', async () => {
    await expect(
      new PruneCompressor().compress(redundantNet(), params({ recover: 'obs' }), ctx(false)),
    ).rejects.toMatchObject({ code: ErrorCodes.BAD_PARAM, message: '--recover obs needs calibration data' });
  });
});
