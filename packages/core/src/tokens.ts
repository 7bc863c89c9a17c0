/**
 * DI tokens. Strings/`Symbol.for` only, never `Symbol()`: a plugin with its own copy of core must
 * name the same token (DESIGN.md, "Plugins live in other package trees").
 */
export const Tokens = Object.freeze({
  Registry: Symbol.for('mc.registry'),
  SessionFactory: Symbol.for('mc.session-factory'),
  compressor: (id: string) => `mc.compressor:${id}`,
  metric: (id: string) => `mc.metric:${id}`,
  dataset: (id: string) => `mc.dataset:${id}`,
});
