/**
 * The check that makes an upgrade safe: the same seeded probes through both models, outputs equal
 * to 1e-5 relative, and, where they are not, the rewritten node that moved is named.
 */
import { createRunContext } from '../../context.js';
import { DataType } from '../dtypes.js';
import { OnnxModel } from '../model.js';
import { OrtSessionFactory } from '../../session/factory.js';
import { GraphBuilder } from '../../testing/graph-builder.js';
import { upgradeOpset } from './upgrade.js';
import { checkUpgrade, upgradeVerified, verifyUpgrade } from './verify.js';

const ctx = createRunContext({ sessions: new OrtSessionFactory({ device: 'cpu' }), progressMode: 'silent', seed: 3 });
const F = DataType.FLOAT;

/** x[n,3,4] -> Relu -> Softmax(axis=1) -> y: Softmax's meaning changes at 13. */
function softmaxNet(opset = 11): OnnxModel {
  const g = new GraphBuilder({ opset, irVersion: 6 });
  const x = g.input('x', F, ['n', 3, 4]);
  g.output(g.node('Softmax', [g.relu(x)], { axis: 1 }, { name: 'sm' })[0], F);
  return g.build();
}

describe('verifyUpgrade', () => {
  it('passes a faithful upgrade and reports the differences it measured', async () => {
    const model = softmaxNet();
    const before = model.toBytes();
    const report = upgradeOpset(model, 13);
    const v = await verifyUpgrade(OnnxModel.fromBytes(before), before, model.toBytes(), report, ctx);
    expect(v.probes).toBe(3);
    expect(v.tolerance).toBe(1e-5);
    expect(v.outputs).toHaveLength(1);
    expect(v.outputs[0].relative).toBeLessThanOrEqual(1e-5);
  });

  it('finds probe sizes the model runs with: a feature dimension left symbolic must be 64 here', async () => {
    const g = new GraphBuilder({ opset: 11, irVersion: 6 });
    const x = g.input('x', F, ['n', 'k']);
    g.output(
      g.node('Softmax', [g.matMul(x, g.initializer('w', F, [64, 16], new Float32Array(1024).fill(0.01)))], {
        axis: 1,
      })[0],
      F,
    );
    const model = g.build();
    const before = model.toBytes();
    const report = upgradeOpset(model, 13);
    const v = await verifyUpgrade(OnnxModel.fromBytes(before), before, model.toBytes(), report, ctx);
    expect(v.outputs[0].relative).toBeLessThanOrEqual(1e-5);
  });

  it('says which sizes it tried when the model runs with none of them', async () => {
    const g = new GraphBuilder({ opset: 11, irVersion: 6 });
    const x = g.input('x', F, ['n', 'k']);
    g.output(g.matMul(x, g.initializer('w', F, [7, 3], new Float32Array(21))), F);
    const model = g.build();
    const before = model.toBytes();
    const report = upgradeOpset(model, 13);
    await expect(
      verifyUpgrade(OnnxModel.fromBytes(before), before, model.toBytes(), report, ctx),
    ).rejects.toMatchObject({
      message: expect.stringMatching(
        /onnxruntime-node cannot run the model at opset 11 on probe inputs \(x \[1x8\]\): .*MatMul/,
      ),
      hint: expect.stringMatching(/then every one at 1, 64 and 512/),
    });
  });

  it('refuses an upgrade whose outputs moved, naming the rewritten node', async () => {
    const model = softmaxNet();
    const before = model.toBytes();
    const report = upgradeOpset(model, 13);
    // botch the adapter's work: Softmax over the last axis of the 3-D tensor, without Flatten/Reshape
    const botched = OnnxModel.fromBytes(before);
    botched.setOpset('', 13);
    await expect(verifyUpgrade(OnnxModel.fromBytes(before), before, botched.toBytes(), report, ctx)).rejects.toThrow(
      /the model at opset 13 does not compute what it did at opset 11: output sm_out differs by .* relative \(more than 0.00001\); the cause is Softmax \(node sm: sm_out differs/,
    );
  });
});

describe('upgradeVerified and checkUpgrade', () => {
  it('moves the model only after the copy checked out', async () => {
    const model = softmaxNet();
    const { report } = await upgradeVerified(model, 21, ctx);
    expect([model.opset(''), report.from, report.to]).toEqual([21, 11, 21]);
    expect(model.nodes.map((n) => n.opType)).toEqual(['Relu', 'Shape', 'Flatten', 'Softmax', 'Reshape']);
  });

  it('gives a reason instead of throwing, and leaves the model as it was', async () => {
    const g = new GraphBuilder({ opset: 11 });
    const x = g.input('x', F, [2]);
    g.output(g.node('NotAnOnnxOp', [x])[0], F);
    const model = g.build();
    const r = await checkUpgrade(model, 21, ctx);
    expect(r).toEqual({ ok: false, reason: 'NotAnOnnxOp cannot be moved from opset 11 to 21' });
    expect(model.opset('')).toBe(11);
  });
});
