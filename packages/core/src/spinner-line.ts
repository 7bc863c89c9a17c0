/**
 * The one live line of a run on a terminal: a single ora spinner that every progress task and every
 * note of the run shares, so nothing is ever written into the middle of a spinner's line
 * (`⠋ gptqdevice: cpu`).
 *
 * Tasks nest (gptq's task around each stage's "calibrating stage N/17"): the innermost one shows;
 * when a nested task is done the line goes back to the one around it, leaving nothing behind, so 17
 * stages are one updating line. An outermost task that is done leaves its ✔ line. A note (a log line)
 * clears the spinner, is written, and the spinner is redrawn under it.
 */
import type { Ora, Options as OraOptions } from 'ora';

export type SpinnerFactory = (options: OraOptions) => Ora;

/** Where notes go: above the live line on a terminal, or just written out elsewhere. */
export interface LineWriter {
  /** Write one or more whole lines (a newline is added). */
  print(text: string): void;
}

/** One task on the live line: its current text. */
export interface LineTask {
  text(): string;
}

export class SpinnerLine implements LineWriter {
  private spinner?: Ora;
  private readonly tasks: LineTask[] = [];

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly factory: SpinnerFactory,
  ) {}

  print(text: string): void {
    // not spinning (no task, or ora off: CI, TERM=dumb): there is no live line to keep clear
    if (!this.spinner?.isSpinning) {
      this.stream.write(`${text}\n`);
      return;
    }
    this.spinner.clear();
    this.stream.write(`${text}\n`);
    this.spinner.render();
  }

  /** A task starts: it takes the line (over the task it runs inside, if any). */
  push(task: LineTask): void {
    this.tasks.push(task);
    if (this.spinner) this.spinner.text = task.text();
    else this.spinner = this.factory({ text: task.text(), stream: this.stream, discardStdin: false }).start();
  }

  /** The task's text changed: shown if the task holds the line. */
  refresh(task: LineTask): void {
    if (this.spinner && this.tasks[this.tasks.length - 1] === task) this.spinner.text = task.text();
  }

  /** Done: the outermost task leaves `summary` as a ✔ line; a nested one gives the line back. */
  succeed(task: LineTask, summary: string): void {
    if (this.remove(task)) this.spinner?.succeed(summary);
    this.settle();
  }

  /** Failed: always left on screen as a ✖ line, nested or not. */
  fail(task: LineTask, summary: string): void {
    if (this.remove(task)) this.spinner?.fail(summary);
    else this.print(`✖ ${summary}`);
    this.settle();
  }

  /** Removes the task; true when it was the last one (the spinner then ends with it). */
  private remove(task: LineTask): boolean {
    const at = this.tasks.lastIndexOf(task);
    if (at >= 0) this.tasks.splice(at, 1);
    return this.tasks.length === 0;
  }

  private settle(): void {
    const top = this.tasks[this.tasks.length - 1];
    if (!top) this.spinner = undefined;
    else if (this.spinner) this.spinner.text = top.text();
  }
}
