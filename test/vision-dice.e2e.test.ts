/** `mc eval --metric dice` as a user runs it, on the shared digits-unet and its mini test set. */
import { join } from 'node:path';
import { HAS_SHARED, SHARED, runMc, tempDir } from './helpers/cli.js';

const tempResults = () => join(tempDir('mc-dice-r-'), 'results');

const run = HAS_SHARED ? describe : describe.skip;
if (!HAS_SHARED) console.warn(`vision-dice.e2e: ${SHARED} is absent; skipping`);

run('mc eval --metric dice', () => {
  it('scores digits-unet on digits-seg-test-mini at the README value 0.9639', async () => {
    const r = await runMc([
      'eval',
      join(SHARED, 'models/digits-unet'),
      '--metric',
      'dice',
      '--dataset',
      join(SHARED, 'data/digits-seg-test-mini'),
      '--json',
      '--results',
      tempResults(),
    ]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.metric.values.dice.value).toBeCloseTo(0.96389, 5);
    expect(result.dataset.provider).toBe('u8-masks');
  });

  it('refuses an image-class dataset in one line with exit 2', async () => {
    const r = await runMc([
      'eval',
      join(SHARED, 'models/digits-unet'),
      '--metric',
      'dice',
      '--dataset',
      join(SHARED, 'data/mnist-test-mini'),
      '--results',
      tempResults(),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/dice scores image-mask datasets|image-mask/);
  });
});
