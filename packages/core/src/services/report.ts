/** report: read result files (folders or files) and join them into one row per model (report/join.ts). */
import { buildReport } from '../report/join.js';
import { readResultInputs } from '../report/read.js';
import type { Report, ReportOptions } from '../report/types.js';

export interface ReportRequest extends ReportOptions {
  /** results folders and result files */
  readonly inputs: readonly string[];
}

export async function reportResults(request: ReportRequest): Promise<Report> {
  return buildReport(await readResultInputs(request.inputs), request);
}
