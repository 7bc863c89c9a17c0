/** Test helpers for mc and plugin authors: a small ONNX graph builder. */
export * from './graph-builder.js';
export { startFakeHub, type FakeHub, type FakeRepo, type FakeCommit, type FakeRequest } from '../hub/fake-hub.js';
export {
  paddleStyleModel,
  tf2onnxStyleModel,
  legacyPytorchModel,
  sharedWeightModel,
  ifBranchesModel,
  exporterModels,
  seededValues,
  type ExporterModel,
} from './exporter-models.js';
export { compressExporterModel, relativeL2, type CompressedExporterModel } from './probe-drift.js';
