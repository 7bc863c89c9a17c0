import { validateParamSpecs } from '@mc-kit/core';
import type { PluginManifest } from '@mc-kit/core';
import register from './register.js';

describe('mc:register', () => {
  it('declares the accuracy metric and the u8-images provider', async () => {
    const manifest: PluginManifest = await register({});
    expect(manifest.mcPlugin).toBe(1);
    expect(manifest.declarations.map((d) => [d.kind, d.id])).toEqual([
      ['metric', 'accuracy'],
      ['metric', 'dice'],
      ['dataset', 'u8-images'],
      ['dataset', 'u8-masks'],
    ]);
    const accuracy = manifest.declarations[0];
    if (accuracy.kind !== 'metric') throw new Error('expected the metric first');
    expect(accuracy.datasetKinds).toEqual(['image-class']);
    expect(() => validateParamSpecs(accuracy.params, 'accuracy')).not.toThrow();
    expect(accuracy.params.map((p) => p.name)).toEqual(['batch-size', 'input', 'output', 'rescale', 'mean', 'std']);
  });
});
