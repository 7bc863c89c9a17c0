/**
 * jest runs each test file in its own vm context, so a Float32Array made in a test is not an
 * `instanceof Float32Array` in onnxruntime-node's realm and tensors cannot be built (jest issue
 * 11864). Make `instanceof` on typed arrays compare the type tag instead. Keep this file.
 */
for (const T of [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
]) {
  if (Object.prototype.hasOwnProperty.call(T, Symbol.hasInstance)) continue;
  const tag = `[object ${T.name}]`;
  Object.defineProperty(T, Symbol.hasInstance, {
    // subclasses (Buffer extends Uint8Array) keep the ordinary check
    value(x) {
      return this !== T
        ? Function.prototype[Symbol.hasInstance].call(this, x)
        : ArrayBuffer.isView(x) && Object.prototype.toString.call(x) === tag;
    },
    configurable: true,
  });
}
