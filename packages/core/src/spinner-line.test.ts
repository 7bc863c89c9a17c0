/**
 * What a terminal shows while a run reports progress and notes: a real ora spinner drawing on a
 * small terminal emulator (cursor moves, line clears, carriage returns), and the plain lines a run
 * writes when stderr is not a terminal.
 */
import { Writable } from 'node:stream';
import ora from 'ora';
import { createRunContext } from './context.js';
import type { RunContext } from './contracts.js';
import { createLineWriter, createLogger, createProgress } from './progress.js';
import type { SessionFactory } from './session/types.js';

/** The screen a TTY stream would leave: ESC sequences (cursor hide/show, colours) are not drawn. */
class Terminal extends Writable {
  readonly isTTY = true;
  readonly columns = 200;
  readonly rows: string[] = [''];
  private row = 0;
  private col = 0;

  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    // eslint-disable-next-line no-control-regex
    for (const ch of String(chunk).replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '')) {
      if (ch === '\n') {
        this.row++;
        this.col = 0;
        this.rows[this.row] ??= '';
      } else if (ch === '\r') this.col = 0;
      else {
        const line = this.rows[this.row].padEnd(this.col);
        this.rows[this.row] = line.slice(0, this.col) + ch + line.slice(this.col + 1);
        this.col++;
      }
    }
    done();
  }

  cursorTo(x: number): boolean {
    this.col = x;
    return true;
  }

  moveCursor(dx: number, dy: number): boolean {
    this.col = Math.max(0, this.col + dx);
    this.row = Math.max(0, this.row + dy);
    return true;
  }

  clearLine(dir: -1 | 0 | 1 = 0): boolean {
    const line = this.rows[this.row];
    this.rows[this.row] =
      dir === 1 ? line.slice(0, this.col) : dir === -1 ? ' '.repeat(this.col) + line.slice(this.col) : '';
    return true;
  }

  /** The lines on screen, trailing spaces and the empty last row dropped. */
  screen(): string[] {
    const rows = this.rows.map((r) => r.trimEnd());
    while (rows.length && rows[rows.length - 1] === '') rows.pop();
    return rows;
  }
}

const SPINNER_FRAMES = /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;

function terminalRun(): { term: Terminal; ctx: Pick<RunContext, 'log' | 'progress'> } {
  const term = new Terminal();
  const stream = term as unknown as NodeJS.WriteStream;
  // ora decides by itself whether a stream is interactive (no CI variable...): here it is
  const line = createLineWriter(stream, 'spinner', (o) => ora({ ...o, isEnabled: true }));
  return {
    term,
    ctx: {
      log: createLogger({ quiet: false, verbose: false, stream, line }),
      progress: createProgress({ mode: 'spinner', stream, line }),
    },
  };
}

describe('one live line on a terminal', () => {
  it('a note printed while a task spins goes on its own line, the spinner under it', () => {
    const { term, ctx } = terminalRun();
    const task = ctx.progress.start('gptq', 4);
    ctx.log.info('device: cpu');
    const during = term.screen();
    expect(during[0]).toBe('device: cpu'); // not "⠋ gptqdevice: cpu"
    expect(during[1]).toMatch(SPINNER_FRAMES);
    expect(during[1]).toContain('gptq');
    ctx.log.warn('calibration and evaluation data are one file');
    task.tick(4);
    task.done('gptq: 4 tensors');
    expect(term.screen()).toEqual([
      'device: cpu',
      'warning: calibration and evaluation data are one file',
      expect.stringMatching(/^✔ gptq: 4 tensors \(\d+\.\ds\)$/),
    ]);
  });

  it('17 nested calibration stages are one updating line; only the outer task stays', () => {
    const { term, ctx } = terminalRun();
    const outer = ctx.progress.start('gptq', 17);
    for (let i = 0; i < 17; i++) {
      const stage = ctx.progress.start(`gptq: calibrating stage ${i + 1}/17`, 8);
      stage.tick(8);
      const shown = term.screen();
      expect(shown).toHaveLength(1); // the stage took the one line
      expect(shown[0]).toMatch(SPINNER_FRAMES);
      stage.done();
      outer.tick();
    }
    expect(term.screen()).toHaveLength(1);
    outer.done('gptq: 17 tensors');
    expect(term.screen()).toEqual([expect.stringMatching(/^✔ gptq: 17 tensors/)]);
  });

  it('the line shows the innermost task, and the outer one again once it is done', async () => {
    const { term, ctx } = terminalRun();
    const outer = ctx.progress.start('prune wanda', 2);
    const stage = ctx.progress.start('calibrating stage 1/2', 4);
    await new Promise((r) => setTimeout(r, 120)); // ora redraws on its timer
    expect(term.screen()[0]).toContain('calibrating stage 1/2');
    stage.done();
    await new Promise((r) => setTimeout(r, 120));
    expect(term.screen()[0]).toContain('prune wanda');
    expect(term.screen()[0]).not.toContain('calibrating');
    outer.done();
  });

  it('a nested task that fails stays on screen, above the line of the task around it', () => {
    const { term, ctx } = terminalRun();
    const outer = ctx.progress.start('gptq', 2);
    ctx.progress.start('gptq: calibrating stage 1/2', 4).fail('gptq: calibrating stage 1/2 failed');
    outer.fail('gptq failed');
    expect(term.screen()).toEqual(['✖ gptq: calibrating stage 1/2 failed', expect.stringMatching(/^✖ gptq failed$/)]);
  });
});

describe('plain lines when stderr is not a terminal', () => {
  class Capture extends Writable {
    text = '';
    override _write(chunk: Buffer, _enc: string, done: () => void): void {
      this.text += String(chunk);
      done();
    }
  }

  it('every stage and every note is a whole line of its own, in order', () => {
    const out = new Capture();
    const ctx = createRunContext({
      stream: out as unknown as NodeJS.WriteStream,
      sessions: {} as SessionFactory,
    });
    const outer = ctx.progress.start('gptq', 2);
    ctx.log.info('device: cpu');
    for (let i = 0; i < 2; i++) {
      const stage = ctx.progress.start(`gptq: calibrating stage ${i + 1}/2`, 3);
      stage.tick(3);
      stage.done();
      outer.tick();
    }
    outer.done('gptq: 2 tensors');
    expect(out.text.split('\n')).toEqual([
      'device: cpu',
      expect.stringMatching(/^gptq: calibrating stage 1\/2: done \(\d+\.\ds\)$/),
      expect.stringMatching(/^gptq: calibrating stage 2\/2: done \(\d+\.\ds\)$/),
      expect.stringMatching(/^gptq: 2 tensors \(\d+\.\ds\)$/),
      '',
    ]);
    expect(out.text).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏\r]/); // no spinner frames, no carriage returns
  });
});
