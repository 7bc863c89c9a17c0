import { DataType } from './dtypes.js';
import { OnnxModel } from './model.js';
import { pb, type onnx } from './proto.js';
import { dataToRaw } from './tensor-codec.js';

/** A model holding exactly the given initializers (no nodes needed to read them). */
function modelWith(tensors: onnx.ITensorProto[]): onnx.IModelProto {
  return { irVersion: 8, opsetImport: [{ domain: '', version: 17 }], graph: { name: 'g', initializer: tensors } };
}

/** Both ways in: the hand-built proto as is (JS numbers), and after protobuf encode/decode (int64 as Long). */
function bothWays(t: onnx.ITensorProto): [string, OnnxModel][] {
  const proto = modelWith([t]);
  return [
    ['in memory', OnnxModel.fromProto(proto)],
    ['decoded', OnnxModel.fromBytes(pb.ModelProto.encode(proto).finish())],
  ];
}

const i64 = (low: number, high: number, unsigned = false) => ({ low, high, unsigned }) as unknown as number;

// Each case: a TensorProto using a typed field as onnx.proto lays it out, and what readTyped /
// readFloat32 / readRaw must give. Expected values follow from the spec by hand.
const cases: { title: string; t: onnx.ITensorProto; typed: ArrayBufferView; float?: number[]; raw?: number[] }[] = [
  {
    title: 'float32 in float_data',
    t: { name: 'f', dataType: DataType.FLOAT, dims: [3], floatData: [1.5, -2, 0.25] },
    typed: Float32Array.of(1.5, -2, 0.25),
    float: [1.5, -2, 0.25],
  },
  {
    title: 'int32 in int32_data',
    t: { name: 'i', dataType: DataType.INT32, dims: [2], int32Data: [-5, 7] },
    typed: Int32Array.of(-5, 7),
    float: [-5, 7],
  },
  {
    title: 'int8, one value per int32 entry',
    t: { name: 'i8', dataType: DataType.INT8, dims: [3], int32Data: [-128, 127, -1] },
    typed: Int8Array.of(-128, 127, -1),
    float: [-128, 127, -1],
    raw: [0x80, 0x7f, 0xff],
  },
  {
    title: 'uint8, one value per int32 entry',
    t: { name: 'u8', dataType: DataType.UINT8, dims: [3], int32Data: [0, 255, 17] },
    typed: Uint8Array.of(0, 255, 17),
    float: [0, 255, 17],
  },
  {
    title: 'float16 bits in int32_data',
    t: { name: 'h', dataType: DataType.FLOAT16, dims: [3], int32Data: [0x3c00, 0xc000, 0x7bff] },
    typed: Uint16Array.of(0x3c00, 0xc000, 0x7bff),
    float: [1, -2, 65504],
    raw: [0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b],
  },
  {
    title: 'bfloat16 bits in int32_data',
    t: { name: 'bf', dataType: DataType.BFLOAT16, dims: [2], int32Data: [0x3f80, 0xbf00] },
    typed: Uint16Array.of(0x3f80, 0xbf00),
    float: [1, -0.5],
  },
  {
    title: 'int4, two values packed per int32 entry (odd count)',
    t: { name: 'q4', dataType: DataType.INT4, dims: [5], int32Data: [0xf1, 0x87, 0x0d] },
    typed: Int8Array.of(1, -1, 7, -8, -3),
    float: [1, -1, 7, -8, -3],
    raw: [0xf1, 0x87, 0x0d],
  },
  {
    title: 'uint4, two values packed per int32 entry',
    t: { name: 'u4', dataType: DataType.UINT4, dims: [2, 1], int32Data: [0x21] },
    typed: Uint8Array.of(1, 2),
    float: [1, 2],
    raw: [0x21],
  },
  {
    title: 'bool in int32_data',
    t: { name: 'b', dataType: DataType.BOOL, dims: [3], int32Data: [1, 0, 1] },
    typed: Uint8Array.of(1, 0, 1),
    float: [1, 0, 1],
  },
  {
    title: 'int16 and uint16 in int32_data',
    t: { name: 'i16', dataType: DataType.INT16, dims: [2], int32Data: [-300, 300] },
    typed: Int16Array.of(-300, 300),
  },
  {
    title: 'int64 in int64_data, beyond 2^53 exactly',
    t: { name: 'l', dataType: DataType.INT64, dims: [3], int64Data: [-3, 2 ** 40, i64(1, 0x200000)] },
    typed: BigInt64Array.of(-3n, 2n ** 40n, 2n ** 53n + 1n),
    float: [-3, 2 ** 40, 2 ** 53],
  },
  {
    title: 'float64 in double_data',
    t: { name: 'd', dataType: DataType.DOUBLE, dims: [2], doubleData: [1.25, -1e300] },
    typed: Float64Array.of(1.25, -1e300),
    float: [1.25, -Infinity],
  },
  {
    title: 'uint64 in uint64_data',
    t: { name: 'ul', dataType: DataType.UINT64, dims: [2], uint64Data: [7, i64(0, 0x80000000, true)] },
    typed: BigUint64Array.of(7n, 2n ** 63n),
  },
  {
    title: 'uint32 in uint64_data',
    t: { name: 'u32', dataType: DataType.UINT32, dims: [1], uint64Data: [4294967295] },
    typed: Uint32Array.of(4294967295),
    float: [4294967296],
  },
  {
    title: 'a scalar (no dims)',
    t: { name: 's', dataType: DataType.FLOAT, dims: [], floatData: [3] },
    typed: Float32Array.of(3),
  },
];

describe('typed-field initializers', () => {
  describe.each(cases)('$title', ({ t, typed, float, raw }) => {
    it.each(bothWays(t))('%s', (_how, model) => {
      const init = model.getInitializer(t.name!)!;
      expect(init.dataType).toBe(t.dataType);
      expect(init.dims).toEqual((t.dims ?? []).map(Number));
      expect(init.readTyped()).toEqual(typed);
      if (float) expect([...init.readFloat32()]).toEqual(float.map(Math.fround));
      if (raw) expect([...init.readRaw()]).toEqual(raw);
      expect(init.readRaw()).toHaveLength(init.byteLength);
    });
  });

  it('says which initializer has the wrong number of values', () => {
    const model = OnnxModel.fromProto(
      modelWith([{ name: 'short', dataType: DataType.FLOAT, dims: [4], floatData: [1, 2, 3] }]),
    );
    expect(() => model.getInitializer('short')!.readFloat32()).toThrow(
      expect.objectContaining({
        code: 'E_BAD_MODEL',
        message: 'initializer short has 3 values in float_data but its shape needs 4',
      }),
    );
    const packed = OnnxModel.fromProto(
      modelWith([{ name: 'q', dataType: DataType.INT4, dims: [5], int32Data: [1, 2] }]),
    );
    expect(() => packed.getInitializer('q')!.readTyped()).toThrow(/needs 3/);
  });

  it('checks raw_data length against the shape', () => {
    const model = OnnxModel.fromProto(
      modelWith([{ name: 'r', dataType: DataType.FLOAT, dims: [2], rawData: new Uint8Array(6) }]),
    );
    expect(() => model.getInitializer('r')!.readRaw()).toThrow(/6 bytes of raw_data but its shape needs 8/);
  });
});

describe('dataToRaw (what setInitializer accepts)', () => {
  it('takes natural typed arrays and raw bytes', () => {
    expect([...dataToRaw(Float32Array.of(1), DataType.FLOAT, 1, 'w')]).toEqual([0, 0, 0x80, 0x3f]);
    expect([...dataToRaw(Uint8Array.of(0, 0, 0x80, 0x3f), DataType.FLOAT, 1, 'w')]).toEqual([0, 0, 0x80, 0x3f]);
    expect([...dataToRaw(Uint16Array.of(0x3c00), DataType.FLOAT16, 1, 'w')]).toEqual([0x00, 0x3c]);
  });

  it('rounds a Float32Array to float16 / bfloat16 bits', () => {
    expect([...dataToRaw(Float32Array.of(1 + 2 ** -11, -2), DataType.FLOAT16, 2, 'w')]).toEqual([
      0x00, 0x3c, 0x00, 0xc0,
    ]);
    expect([...dataToRaw(Float32Array.of(1 + 3 * 2 ** -8), DataType.BFLOAT16, 1, 'w')]).toEqual([0x82, 0x3f]);
  });

  it('packs int4 values given one per element, and takes already-packed bytes', () => {
    expect([...dataToRaw(Int8Array.of(1, -1, 7), DataType.INT4, 3, 'q')]).toEqual([0xf1, 0x07]);
    expect([...dataToRaw(Uint8Array.of(0xf1, 0x07), DataType.INT4, 3, 'q')]).toEqual([0xf1, 0x07]);
    expect([...dataToRaw(Uint8Array.of(1, 2, 15), DataType.UINT4, 3, 'q')]).toEqual([0x21, 0x0f]);
  });

  it('refuses an array of the wrong type or length', () => {
    expect(() => dataToRaw(Float32Array.of(1, 2), DataType.FLOAT, 3, 'w')).toThrow(/setInitializer w/);
    expect(() => dataToRaw(Int32Array.of(1), DataType.FLOAT, 1, 'w')).toThrow(/Int32Array/);
    expect(() => dataToRaw(Int8Array.of(1, 2), DataType.INT4, 3, 'q')).toThrow(/int4 with 3 elements/);
  });
});
