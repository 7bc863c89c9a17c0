/** The typed array that holds n elements of a HostTensor's element type (float16 as its raw bits). */
import type { HostTensor, TensorElementType } from './types.js';

export function hostArray(type: TensorElementType, n: number): HostTensor['data'] {
  switch (type) {
    case 'float32':
      return new Float32Array(n);
    case 'float16':
      return new Uint16Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'uint8':
    case 'bool':
      return new Uint8Array(n);
  }
}
