import { DEFAULT_SPEC, parseFloatList, preprocess, resolvePreprocess } from './preprocess.js';

const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));

describe('preprocess', () => {
  it('rescales by 1/255 by default, bit-equal to p / 255 as float32 (mnist-cnn reference)', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const out = preprocess(all, { count: 1, channels: 1, height: 16, width: 16 }, DEFAULT_SPEC);
    expect(Array.from(out)).toEqual(f32(Array.from(all, (p) => p / 255)));
  });

  it('applies ((p * rescale) - mean[c]) / std[c] per channel, NCHW', () => {
    // 2 images, 2 channels, 1x2 pixels: [n][c][w]
    const px = Uint8Array.from([0, 10, 20, 30, 40, 50, 60, 70]);
    const out = preprocess(
      px,
      { count: 2, channels: 2, height: 1, width: 2 },
      { rescale: 0.1, mean: [1, 2], std: [2, 4] },
    );
    // channel 0: (p/10 - 1) / 2 ; channel 1: (p/10 - 2) / 4
    expect(Array.from(out)).toEqual(f32([-0.5, 0, 0, 0.25, 1.5, 2, 1, 1.25]));
  });

  it('broadcasts one mean/std over all channels', () => {
    const px = Uint8Array.from([255, 0, 255]);
    const out = preprocess(
      px,
      { count: 1, channels: 3, height: 1, width: 1 },
      { rescale: 1 / 255, mean: [0.5], std: [0.5] },
    );
    expect(Array.from(out)).toEqual([1, -1, 1]);
  });

  it('rejects a pixel count that does not match the dims', () => {
    expect(() => preprocess(new Uint8Array(5), { count: 1, channels: 1, height: 2, width: 2 }, DEFAULT_SPEC)).toThrow(
      RangeError,
    );
  });
});

describe('resolvePreprocess', () => {
  const mnistConfig = { preprocessing: { rescale_factor: 0.00392156862745098, mean: [0.0], std: [1.0] } };

  it('defaults to 1/255, mean 0, std 1 without config', () => {
    const s = resolvePreprocess(undefined, {}, 3);
    expect([s.rescale, s.mean, s.std]).toEqual([1 / 255, [0], [1]]);
    expect(s.source).toEqual({ rescale: 'default', mean: 'default', std: 'default' });
  });

  it('reads config.json preprocessing (mnist-cnn form) and HF image_mean/image_std', () => {
    expect(resolvePreprocess(mnistConfig, {}, 1)).toMatchObject({
      rescale: 0.00392156862745098,
      mean: [0],
      std: [1],
      source: { rescale: 'config' },
    });
    const hf = resolvePreprocess({ preprocessing: { image_mean: [0.5, 0.4, 0.3], image_std: [0.2, 0.2, 0.2] } }, {}, 3);
    expect(hf).toMatchObject({ mean: [0.5, 0.4, 0.3], std: [0.2, 0.2, 0.2] });
    expect(
      resolvePreprocess({ preprocessing: { do_rescale: false, do_normalize: false, mean: [9], std: [9] } }, {}, 1),
    ).toMatchObject({ rescale: 1, mean: [0], std: [1] });
  });

  it('lets params override config field by field', () => {
    const s = resolvePreprocess(mnistConfig, { mean: '0.1307', std: '0.3081' }, 1);
    expect(s).toMatchObject({ rescale: 0.00392156862745098, mean: [0.1307], std: [0.3081] });
    expect(s.source).toEqual({ rescale: 'config', mean: 'params', std: 'params' });
    expect(resolvePreprocess(mnistConfig, { rescale: 1, mean: '', std: '' }, 1)).toMatchObject({
      rescale: 1,
      mean: [0],
      std: [1],
    });
  });

  it('rejects wrong channel counts, zero std and bad lists with user errors', () => {
    expect(() => resolvePreprocess(undefined, { mean: '1,2' }, 3)).toThrow(
      expect.objectContaining({ code: 'E_BAD_PARAM' }),
    );
    expect(() => resolvePreprocess(undefined, { std: '1,0,1' }, 3)).toThrow(
      expect.objectContaining({ code: 'E_BAD_PARAM' }),
    );
    expect(() => resolvePreprocess({ preprocessing: { mean: 'x' } }, {}, 1)).toThrow(
      expect.objectContaining({ code: 'E_BAD_MODEL' }),
    );
    expect(() => parseFloatList('1,,2', 'mean')).toThrow(expect.objectContaining({ code: 'E_BAD_PARAM' }));
    expect(parseFloatList(' 0.485, 0.456,0.406 ', 'mean')).toEqual([0.485, 0.456, 0.406]);
  });
});
