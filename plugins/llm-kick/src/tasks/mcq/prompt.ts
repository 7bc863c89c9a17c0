/**
 * The MMLU prompt of LLM-KICK's main_mmlu.py (Hendrycks' evaluate.py), byte for byte (spec
 * llm-kick.md §2.2):
 *
 *   "The following are multiple choice questions (with answers) about" + " abstract algebra" + ".\n\n"
 *   + k shots, each  q + "\nA. " + A + ... + "\nD. " + D + "\nAnswer: " + letter + "\n\n"
 *   + the question   q + "\nA. " + A + ... + "\nD. " + D + "\nAnswer:"
 *
 * The header's format string is "about {}." and format_subject puts a space before every word, hence
 * the double space in "about  abstract algebra".
 */
import type { McqQuestion } from './types.js';

export const CHOICE_LETTERS = ['A', 'B', 'C', 'D'] as const;

/**
 * The cells pandas.read_csv reads as NaN by default (`na_values`, pandas 2.x; "None" among them).
 * The reference formats NaN with str.format, i.e. "nan"; ten MMLU test cells say "None".
 */
const PANDAS_NA = new Set([
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'None',
  'n/a',
  'nan',
  'null',
]);

/** A cell as the prompt shows it: faithful -> what pandas + str.format print ("nan" for a NA cell); clean -> the text as written. */
export function cellText(cell: string, faithful: boolean): string {
  return faithful && PANDAS_NA.has(cell) ? 'nan' : cell;
}

/** format_subject: " " before every word of the file name's subject. */
export function formatSubject(subject: string): string {
  return subject
    .split('_')
    .map((w) => ` ${w}`)
    .join('');
}

export function header(subject: string): string {
  return `The following are multiple choice questions (with answers) about ${formatSubject(subject)}.\n\n`;
}

/** format_example: the question, its four choices, "\nAnswer:", and with the answer " X\n\n". */
export function formatExample(q: McqQuestion, includeAnswer: boolean, faithful: boolean): string {
  let s = cellText(q.question, faithful);
  q.choices.forEach((c, j) => (s += `\n${CHOICE_LETTERS[j]}. ${cellText(c, faithful)}`));
  s += '\nAnswer:';
  if (includeAnswer) s += ` ${q.answer}\n\n`;
  return s;
}

/** gen_prompt: the header and the first k dev rows with their answers. */
export function fewShotPrefix(subject: string, shots: readonly McqQuestion[], k: number, faithful: boolean): string {
  let s = header(subject);
  for (let i = 0; i < k; i++) s += formatExample(shots[i], true, faithful);
  return s;
}
