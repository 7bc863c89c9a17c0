export * from './compress.js';
export * from './convert.js';
export * from './decompress.js';
export * from './eval.js';
export * from './inspect.js';
export * from './list.js';
export * from './output-target.js';
export {
  DEFAULT_PROBES,
  checkProbeOptions,
  probeSource,
  verifyStagedLoads,
  verifyStagedOutput,
  type ProbeOptions,
  type SourceCheck,
} from './output-checks.js';
export * from './report.js';
