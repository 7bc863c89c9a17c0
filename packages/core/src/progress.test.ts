import { PassThrough } from 'node:stream';
import { createProgress, describeProgress, formatDuration } from './progress.js';
import { createRng } from './rng.js';

describe('progress text', () => {
  it('formats counts, percent and ETA from the observed rate', () => {
    expect(describeProgress('int8', 50, 200, 5)).toBe('int8 50/200 (25%) ETA 15s');
    expect(describeProgress('scan', 30, undefined, 3)).toBe('scan 30 (10/s)');
    expect(formatDuration(3.25)).toBe('3.3s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(7260)).toBe('2h01m');
  });

  it('writes plain lines at most once per interval when not a TTY, then a final line', () => {
    const stream = new PassThrough() as unknown as NodeJS.WriteStream;
    let chunks = '';
    (stream as unknown as PassThrough).on('data', (d) => (chunks += String(d)));
    let t = 0;
    const task = createProgress({ mode: 'lines', stream, lineIntervalMs: 1000, now: () => t }).start('work', 4);
    t = 500;
    task.tick();
    t = 1200;
    task.tick();
    t = 1300;
    task.tick();
    t = 2000;
    task.done('work: 4 done');
    expect(chunks.trim().split('\n')).toEqual(['work 2/4 (50%) ETA 1.2s', 'work: 4 done (2.0s)']);
  });

  it('is silent under --json', () => {
    const stream = new PassThrough() as unknown as NodeJS.WriteStream;
    let chunks = '';
    (stream as unknown as PassThrough).on('data', (d) => (chunks += String(d)));
    const task = createProgress({ mode: 'silent', stream }).start('work', 2);
    task.tick(2);
    task.done();
    expect(chunks).toBe('');
  });
});

describe('createRng', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    const seqA = [a.next(), a.next(), a.int(10)];
    expect([b.next(), b.next(), b.int(10)]).toEqual(seqA);
    expect(createRng(43).next()).not.toBe(seqA[0]);
    for (let i = 0; i < 1000; i++) {
      const v = a.next();
      expect(v >= 0 && v < 1).toBe(true);
    }
  });
});
