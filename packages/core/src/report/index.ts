export { readResultInputs, type ReadResult } from './read.js';
export { buildReport } from './join.js';
export { paretoFront } from './pareto.js';
export type * from './types.js';
export { checkReportGates } from './gates.js';
