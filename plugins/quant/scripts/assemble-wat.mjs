// WebAssembly text -> binary with wabt (the reference assembler's own build, compiled to wasm).
import wabtInit from 'wabt';

export async function assembleWat(name, text) {
  const wabt = await wabtInit();
  const module = wabt.parseWat(name, text, { simd: true, bulk_memory: true });
  try {
    module.validate();
    return module.toBinary({ log: false, write_debug_names: false }).buffer;
  } finally {
    module.destroy();
  }
}
