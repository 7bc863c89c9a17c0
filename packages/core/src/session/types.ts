/** Session types that plugins see; onnxruntime itself stays inside session/factory.ts. */

export type DeviceRequest = 'auto' | 'cpu' | 'cuda';
export type Device = 'cpu' | 'cuda';

export type TensorElementType = 'float32' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

/** A tensor to feed or a tensor that came back; data is the flat typed array in C order. */
export interface HostTensor {
  readonly type: TensorElementType;
  readonly data: Float32Array | Uint16Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;
  readonly dims: readonly number[];
}

export interface SessionOptions {
  /** threads inside one op (default: onnxruntime's) */
  intraOpThreads?: number;
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** onnxruntime logs fatal errors only: a check that may fail on its own (probing a converted model,
   *  loading a staged output) reports the failure itself, in one line, instead of onnxruntime's log */
  quiet?: boolean;
  /** false: kernels use the weights as stored instead of a repacked copy (MatMul, Conv: a second copy of every weight) */
  prepack?: boolean;
  /** with a path: onnxruntime reads the large weights from the file (mapped) instead of copying them twice (onnx/mapped-model.ts) */
  mapWeights?: boolean;
}

export interface McSession {
  readonly device: Device;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Feeds are checked against inputNames before the run (a clear error names what is missing). */
  run(feeds: Record<string, HostTensor>, outputNames?: readonly string[]): Promise<Record<string, HostTensor>>;
  release(): Promise<void>;
}

export interface SessionFactory {
  /** Resolved device ('cpu' until the first session tells otherwise for --device auto). */
  readonly requested: DeviceRequest;
  /** The device really used, once a session has been created (CPU after an auto fallback). */
  readonly device?: Device;
  /** Create a session from a file path or model bytes. */
  create(model: string | Uint8Array, options?: SessionOptions): Promise<McSession>;
}
