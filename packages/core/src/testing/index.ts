/** Test helpers for mc and plugin authors: a small ONNX graph builder. */
export * from './graph-builder.js';
export { startFakeHub, type FakeHub, type FakeRepo, type FakeCommit, type FakeRequest } from '../hub/fake-hub.js';
