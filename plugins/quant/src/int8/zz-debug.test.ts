import { DataType } from '@mc-kit/core';
import { MLP_INPUT, mlp } from './models.fixture.js';
import { quantizeWeights } from './rewrite.js';
import { denseReference, relativeMaxDiff, sessions, testContext } from './testkit.fixture.js';

it('debug', async () => {
  for (const lvl of ['disabled', 'basic', 'extended', 'all'] as const) {
    for (const only of [['w1'], ['w2'], ['w3']]) {
      const original = mlp();
      const model = mlp();
      await quantizeWeights(model, { scheme: 'sym', granularity: 'channel', minSize: 1024, include: only, exclude: [] }, testContext());
      const s1 = await sessions.create(model.toBytes(), { graphOptimization: lvl });
      const s2 = await sessions.create(denseReference(original, model).toBytes(), { graphOptimization: lvl });
      const a = await s1.run(MLP_INPUT); const b = await s2.run(MLP_INPUT);
      const k = Object.keys(a)[0];
      console.log(lvl, only, relativeMaxDiff(a[k].data as Float32Array, b[k].data as Float32Array));
    }
  }
});
