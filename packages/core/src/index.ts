/** @mc-kit/core public API: what plugins and the CLI may import. */
export * from './errors.js';
export * from './params.js';
export * from './contracts.js';
export * from './declarations.js';
export * from './registry.js';
export * from './tokens.js';
export * from './version.js';
export * from './rng.js';
export * from './progress.js';
export * from './context.js';
export * from './digest.js';
export * from './did-you-mean.js';
export * from './atomic-write.js';
export * from './model-ref.js';
export * from './results.js';
export * from './session/types.js';
export { OrtSessionFactory, loadOrt, type SessionFactoryOptions } from './session/factory.js';
export * from './onnx/index.js';
