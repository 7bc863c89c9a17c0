/**
 * What an opset adapter may do to the one node it adapts: add constants (top-level initializers,
 * which subgraphs can read too), insert nodes around it in its own graph, ask for fresh names and
 * for what tensor-facts.ts knows, or refuse with a reason that names the node and the opsets.
 */
import { ErrorCodes, UserError } from '../../errors.js';
import type { DataType } from '../dtypes.js';
import type { NodeProto } from '../model-types.js';
import type { TensorFacts } from './tensor-facts.js';

export interface AdaptContext {
  readonly node: NodeProto;
  /** The opset at which the op's schema changed (this adapter's step). */
  readonly version: number;
  /** The whole conversion: the model's opset before, and the target. */
  readonly from: number;
  readonly to: number;
  readonly facts: TensorFacts;
  /** A top-level initializer with a fresh name derived from `base`; returns the name. */
  constant(base: string, dataType: DataType, dims: readonly number[], data: ArrayBufferView): string;
  /** A tensor or node name used nowhere in the model yet. */
  fresh(base: string): string;
  /** Insert nodes right before / right after the adapted node, in its graph. */
  before(...nodes: NodeProto[]): void;
  after(...nodes: NodeProto[]): void;
  /** Whether any node (in any graph) reads `name`, or it is an output of any graph. */
  isUsed(name: string): boolean;
  /** The values of an initializer or Constant output, as float32; undefined when computed at run time. */
  constantFloats(name: string): Float32Array | undefined;
  /** Forget a declared value_info of `name` (its type is about to change). */
  dropValueInfo(name: string): void;
  /** The error to throw: this node cannot be moved, and why. */
  refuse(why: string): Error;
}

/** An adapter rewrites one node so it means at `version` what it meant the version before. */
export type Adapter = (c: AdaptContext) => void;

/** The one refusal message: op, node, both opsets and why (E_UNSUPPORTED, exit 2). */
export function refusal(node: NodeProto, from: number, to: number, why: string): UserError {
  const who = `${node.opType}${node.name ? ` (node ${node.name})` : ''}`;
  return new UserError(ErrorCodes.UNSUPPORTED, `${who} cannot be moved from opset ${from} to opset ${to}: ${why}`, {
    hint: `re-export the model at opset ${to} from its framework, or keep it at opset ${from}`,
  });
}
