/** Test helpers for mc and plugin authors: a small ONNX graph builder. */
export * from './graph-builder.js';
