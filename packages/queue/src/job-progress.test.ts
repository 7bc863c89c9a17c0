import { createProgress } from '@mc-kit/core';
import { progressToQueue, type JobProgress } from './job-progress.js';

it("sends the task's stage and counts to the queue at most once per interval, and always its start and end", async () => {
  let t = 0;
  const sent: JobProgress[] = [];
  const progress = progressToQueue(
    createProgress({ mode: 'silent' }),
    async (p) => void sent.push(p),
    1000,
    () => t,
  );
  const task = progress.start('compress', 10);
  for (let i = 0; i < 10; i++) {
    t += 300; // ten ticks over 3 s: three are sent
    task.tick();
  }
  task.update('eval');
  task.done('compress: 10 tensors');
  expect(sent).toEqual([
    { stage: 'compress', done: 0, total: 10 },
    { stage: 'compress', done: 4, total: 10 },
    { stage: 'compress', done: 8, total: 10 },
    { stage: 'compress: 10 tensors', done: 10, total: 10 },
  ]);
});

it('a lost progress update does not fail the job', () => {
  const progress = progressToQueue(createProgress({ mode: 'silent' }), () => Promise.reject(new Error('redis gone')));
  expect(() => progress.start('x').tick()).not.toThrow();
});
