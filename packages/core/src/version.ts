/** @mc-kit/core's own version: plugins record the version they were built against (definePlugin). */
export const CORE_VERSION = '0.1.0';
/** Results files carry this; bump when the result layout changes. */
export const RESULT_SCHEMA_VERSION = 1;
