/**
 * jest runs each test file in its own vm context, so a Float32Array made by the test is not an
 * `instanceof Float32Array` in onnxruntime-node's realm and Tensor construction fails
 * (jest issue 11864; transformers.js tests/init.js carries the same workaround). Make instanceof
 * on typed arrays compare the [[TypedArrayName]] tag instead of the realm's constructor.
 */
const types = [
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
];
for (const T of types) {
  const tag = T.name;
  // The constructors can be shared by several test files of one worker: patch once.
  if (Object.prototype.hasOwnProperty.call(T, Symbol.hasInstance)) continue;
  Object.defineProperty(T, Symbol.hasInstance, {
    // Subclasses inherit this static (Buffer extends Uint8Array): for them keep the ordinary check,
    // or every Uint8Array would pass `instanceof Buffer` and protobufjs would misread it.
    value(instance) {
      if (this !== T) return Function.prototype[Symbol.hasInstance].call(this, instance);
      return ArrayBuffer.isView(instance) && Object.prototype.toString.call(instance) === `[object ${tag}]`;
    },
    configurable: true,
  });
}
