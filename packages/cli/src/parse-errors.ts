/**
 * oclif's flag errors, said as one line a user can act on: a misspelt flag gets "did you mean", a
 * missing or valueless flag is named with what it is for, and a value outside a flag's options
 * gets the closest option. Other parse errors keep oclif's words, folded onto one line.
 */
import { stripVTControlCharacters } from 'node:util';
import { didYouMean } from '@mc-kit/core';

/** What the explanation needs of a flag (oclif's Flag objects have these). */
export interface KnownFlag {
  readonly description?: string;
  readonly hidden?: boolean;
  readonly char?: string;
}

/** The fields of oclif's parse errors that are read here (NonExistentFlagsError has `flags`). */
export interface ParseErrorLike {
  readonly message: string;
  readonly flags?: readonly string[];
}

const MISSING_FLAG = /^Missing required flag (\S+)$/;
const NO_VALUE = /^Flag --(\S+) expects a value$/;
const NOT_AN_OPTION = /^Expected --(\S+?)=(.*) to be one of: (.*)$/;

/** The error's lines without oclif's "See more help" tail, colours, indentation or blanks. */
function messageLines(message: string): string[] {
  return stripVTControlCharacters(message)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^See more help with/.test(l));
}

/** "--out: Output: a .onnx file, ..." (the description's first sentence is enough for one line). */
function withPurpose(name: string, flags: Readonly<Record<string, KnownFlag>>): string {
  const description = flags[name]?.description?.split('\n')[0].trim().replace(/\.$/, '');
  return description ? `--${name}: ${description}` : `--${name}`;
}

function unknownFlag(given: string, flags: Readonly<Record<string, KnownFlag>>): string {
  const name = given.replace(/^-+/, '').split('=')[0];
  const shown = given.startsWith('--') ? `--${name}` : given.split('=')[0];
  const guess = name.length > 1 ? didYouMean(name, Object.keys(flags)) : undefined;
  return `unknown flag ${shown}${guess ? ` (did you mean --${guess}?)` : ''}`;
}

/**
 * One line for an oclif parse error, or undefined when it is not one of the flag errors this
 * module rewords (the caller then folds oclif's message as it is).
 */
export function explainParseError(err: ParseErrorLike, flags: Readonly<Record<string, KnownFlag>>): string | undefined {
  const lines = messageLines(err.message);
  if (Array.isArray(err.flags) && /^Nonexistent flag/.test(lines[0] ?? ''))
    return err.flags.map((f) => unknownFlag(f, flags)).join('; ');
  if (/^The following errors? occurred:?$/.test(lines[0] ?? '')) {
    const reasons = lines.slice(1).map((reason) => {
      const missing = MISSING_FLAG.exec(reason);
      return missing ? `missing ${withPurpose(missing[1], flags)}` : reason;
    });
    return reasons.length ? reasons.join('; ') : undefined;
  }
  const noValue = NO_VALUE.exec(lines[0] ?? '');
  if (noValue) return withPurpose(noValue[1], flags).replace(/^--\S+?(?=:|$)/, '$& needs a value');
  const notAnOption = NOT_AN_OPTION.exec(lines[0] ?? '');
  if (notAnOption) {
    const [, name, value, list] = notAnOption;
    const options = list.split(', ');
    const guess = didYouMean(value, options);
    return `--${name} ${value} is not one of ${options.join(', ')}${guess ? ` (did you mean --${name} ${guess}?)` : ''}`;
  }
  return undefined;
}
