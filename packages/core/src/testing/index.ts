/** Test helpers for mc and plugin authors: a small ONNX graph builder, and the check every written model must pass. */
export {
  attr,
  GraphBuilder,
  type AttrValue,
  type ConvAttrs,
  type Dim,
  type GemmAttrs,
  type GraphBuilderOptions,
  type NodeOptions,
  type TypedAttr,
} from './graph-builder.js';
export { expectValidModel } from './valid-model.js';
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
// Random inputs a model runs on (the opset upgrade's own check uses them too).
export { probeFeeds } from '../probe/random-feeds.js';
export { compressExporterModel, type CompressedExporterModel } from './probe-drift.js';
export { mutateModel, MUTATION_KINDS, type Mutant } from './mutate.js';
export { fuzzCase, countFuzz, type FuzzCase, type FuzzCounts, type FuzzOptions, type FuzzVerdict } from './fuzz.js';
