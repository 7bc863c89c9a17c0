/**
 * Compile-time checks of ParamsOf/typedParams, type-checked by params.test.ts through the TypeScript
 * compiler: each `@ts-expect-error` line must stay an error, so a typing that loosens fails the test.
 */
import { typedParams, type ParamSpec, type ParamsOf } from './params.js';

const SPEC = [
  { name: 'bits', type: 'integer', min: 2, max: 8, default: 4, description: 'bits' },
  { name: 'algo', type: 'enum', options: ['magnitude', 'wanda'], default: 'magnitude', description: 'algo' },
  { name: 'target', type: 'number', description: 'no default' },
  { name: 'vectors', type: 'boolean', default: true, description: 'flag' },
  { name: 'include', type: 'string[]', default: [], description: 'globs' },
  { name: 'names', type: 'string[]', description: 'string[] without a default' },
  { name: 'label', type: 'string', default: '', description: 'text' },
] as const satisfies readonly ParamSpec[];

const p: ParamsOf<typeof SPEC> = typedParams(SPEC)({});

export const bits: number = p.bits;
export const algo: 'magnitude' | 'wanda' = p.algo;
export const vectors: boolean = p.vectors;
export const include: readonly string[] = p.include;
export const names: readonly string[] = p.names;
export const label: string = p.label;
export const target: number | undefined = p.target;

// @ts-expect-error a parameter without a default may be undefined
export const targetNumber: number = p.target;
// @ts-expect-error an enum is the union of its options, not any string
export const algoBad: 'magnitude' | 'wanda' | 'channel' extends typeof p.algo ? true : never = true;
// @ts-expect-error a number is not a string
export const bitsText: string = p.bits;
// @ts-expect-error a name the spec does not declare
export const unknown = p.sparsity;
// @ts-expect-error the view is read-only
p.bits = 3;
