/**
 * The shape of core's SweepRequest as a job carries it: plain JSON, no field beyond the ones the
 * type has (a field a worker does not know is refused, not ignored). Parameter values are raw
 * (strings, numbers, booleans, lists of them); planSweep checks them as the CLI does.
 */
const RAW_VALUE = {
  anyOf: [
    { type: 'string' },
    { type: 'number' },
    { type: 'boolean' },
    { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] } },
  ],
};
export const RAW_PARAMS = { type: 'object', additionalProperties: RAW_VALUE };
const STRING = { type: 'string' };
const OPTIONAL_STRING = { type: 'string', nullable: true };

export const SWEEP_REQUEST_SCHEMA = {
  type: 'object',
  properties: {
    model: STRING,
    methods: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: { id: STRING, params: RAW_PARAMS },
        required: ['id', 'params'],
        additionalProperties: false,
      },
    },
    sweep: STRING,
    metric: {
      type: 'object',
      properties: { id: STRING, params: RAW_PARAMS },
      required: ['id', 'params'],
      additionalProperties: false,
    },
    dataset: OPTIONAL_STRING,
    datasetType: OPTIONAL_STRING,
    limit: { type: 'integer', minimum: 1, nullable: true },
    field: OPTIONAL_STRING,
    seed: { type: 'integer' },
    calibration: {
      type: 'object',
      nullable: true,
      properties: {
        dataset: STRING,
        datasetType: OPTIONAL_STRING,
        samples: { type: 'integer', minimum: 1, nullable: true },
        seqlen: { type: 'integer', minimum: 1, nullable: true },
      },
      required: ['dataset'],
      additionalProperties: false,
    },
    probes: { type: 'integer', minimum: 0, nullable: true },
    probeDataset: OPTIONAL_STRING,
    probeDatasetType: OPTIONAL_STRING,
    out: STRING,
    results: STRING,
    gates: { type: 'array', items: STRING, nullable: true },
  },
  required: ['model', 'methods', 'sweep', 'metric', 'seed', 'out', 'results'],
  additionalProperties: false,
} as const;
