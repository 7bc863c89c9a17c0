/** What prune reports per tensor: core's TensorReport plus the measured sparsity and errors. */
import type { TensorReport } from '@mc-kit/core';

export interface PruneTensorReport extends TensorReport {
  /** requested fraction of zeros (unstructured / N:M) */
  readonly targetSparsity?: number;
  /** measured fraction of exact zeros after pruning */
  readonly sparsity?: number;
  /** ||XW' - XW||_F / ||XW||_F on the calibration data (when there was any) */
  readonly outputError?: number;
  /** channel pruning with refit: the same error with the removed inputs simply dropped (outputError is after the refit) */
  readonly outputErrorBefore?: number;
  /** sparsegpt: the damping fraction used where --damp left H not positive definite (raised 10x at a time) */
  readonly dampUsed?: number;
  /** how the tensor is stored: 'dense' (zeros kept) or 'sparse' (sparse_initializer) */
  readonly storage?: 'dense' | 'sparse';
  /** channel pruning: output channels before and after */
  readonly channels?: { readonly before: number; readonly after: number };
  /** channel pruning: parameters and multiply-accumulates per sample removed from this node */
  readonly paramsRemoved?: number;
  readonly flopsRemoved?: number;
}

export const fmtPct = (x: number) => `${(100 * x).toFixed(2)}%`;
