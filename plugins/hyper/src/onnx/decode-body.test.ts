/**
 * The decode body's index unpacking against the reference packing (codec packIndices, spec §5.2),
 * at tolerance 0, in a plain onnxruntime session: every index width 1..17, pair counts that give
 * every front-padding nz (0..7, also nz > width), at default-domain opsets 9, 10 (bit-splitting
 * unpack), 11, 13 and 21 (Range unpack), as a model-local function (IR 8) and flattened into plain
 * nodes (IR 7). Also: onnxruntime folds the whole unpack at session start (load mode) at every opset.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DataType, OnnxModel, type NodeProto } from '@mc-kit/core';
import { GraphBuilder } from '@mc-kit/core/testing';
import { packIndices } from '../codec/index.js';
import {
  bodyName,
  decodeBody,
  flatten,
  FUNCTION_DOMAIN,
  functionsOf,
  indicesBody,
  MIN_DECODE_OPSET,
} from './decode-body.js';
import { graphProblems } from './valid-graph.fixture.js';

const OPSETS = [9, 10, 11, 13, 21];

/** Deterministic indices below 2^bits, with the extremes 0 and 2^bits − 1 at both ends. */
function indices(P: number, bits: number, seed: number): Uint32Array {
  let s = seed >>> 0;
  const max = 2 ** bits - 1;
  const out = Uint32Array.from({ length: P }, () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % (max + 1));
  out[0] = max;
  if (P > 1) out[P - 1] = max;
  if (P > 2) out[1] = 0;
  return out;
}

interface Case {
  bits: number;
  P: number;
  nz: number;
  idx: Uint32Array;
  packed: Uint8Array;
}

// P = 1, 2, 3, 5, 7, 8 (and a long one) give P·bits mod 8 = every residue for odd widths
const CASES: Case[] = [];
for (let bits = 1; bits <= 17; bits++) {
  for (const P of [1, 2, 3, 5, 7, 8, 301]) {
    const idx = indices(P, bits, 31 * bits + P);
    const { bytes, nz } = packIndices(idx, bits);
    const packed = new Uint8Array(bytes.length + 2); // + the 2 guard bytes
    packed.set(bytes);
    CASES.push({ bits, P, nz, idx, packed });
  }
}

/** One model whose outputs are the unpacked indices of every case. */
function indicesModel(opset: number, form: 'function' | 'inline'): OnnxModel {
  const g = new GraphBuilder({
    opset,
    irVersion: form === 'function' ? 8 : 7,
    opsets: form === 'function' ? { [FUNCTION_DOMAIN]: 1 } : {},
  });
  const body = indicesBody(opset);
  const nodes: NodeProto[] = [];
  CASES.forEach((c, k) => {
    const packed = g.initializer(`packed${k}`, DataType.UINT8, [c.packed.length], c.packed);
    const header = g.initializer(
      `header${k}`,
      DataType.INT64,
      [4],
      BigInt64Array.from([c.bits, c.nz, 2 * c.P, c.P].map(BigInt)),
    );
    if (form === 'function') {
      nodes.push({ opType: body.name, domain: FUNCTION_DOMAIN, input: [packed, header], output: [`idx${k}`] });
    } else {
      const bind = new Map([
        ['packed', packed],
        ['header', header],
        ['idx', `idx${k}`],
      ]);
      for (const n of flatten(body)) {
        const name = (s: string) => bind.get(s) ?? `${k}.${s}`;
        nodes.push({ ...n, input: (n.input ?? []).map(name), output: (n.output ?? []).map(name) });
      }
    }
  });
  const model = g.build();
  model.proto.graph!.node = nodes;
  model.proto.graph!.output = CASES.map((c, k) => ({
    name: `idx${k}`,
    type: { tensorType: { elemType: DataType.INT64, shape: { dim: [{ dimValue: c.P }] } } },
  }));
  if (form === 'function') {
    model.proto.functions = [
      {
        name: body.name,
        domain: FUNCTION_DOMAIN,
        input: [...body.inputs],
        output: [body.output],
        node: [...body.nodes],
        opsetImport: [{ domain: '', version: opset }],
      },
    ];
  }
  return model;
}

describe.each(OPSETS)('Indices at opset %i', (opset) => {
  it.each(['function', 'inline'] as const)(
    '%s: every width 1..17 and every front padding, equal to the reference packing',
    async (form) => {
      expect(new Set(CASES.map((c) => c.nz)).size).toBe(8); // nz 0..7 all covered
      expect(CASES.some((c) => c.nz > c.bits)).toBe(true); // fewer index bits than padding bits
      const model = indicesModel(opset, form);
      expect(graphProblems(model)).toEqual([]);
      const optimized = join(mkdtempSync(join(tmpdir(), 'mc-hyper-indices-')), 'opt.onnx');
      const session = await ort.InferenceSession.create(model.toBytes(), {
        logSeverityLevel: 3,
        optimizedModelFilePath: optimized,
      });
      const out = await session.run({});
      CASES.forEach((c, k) => {
        const got = out[`idx${k}`];
        expect(got.dims).toEqual([c.P]);
        expect(Array.from(got.data as BigInt64Array, Number)).toEqual(Array.from(c.idx));
      });
      await session.release();
      // load mode: onnxruntime evaluates all of it once, when the session starts (nothing of the
      // unpack is left to run per inference; NonZero or Compress would have stayed)
      expect(OnnxModel.fromBytes(readFileSync(optimized)).nodes.map((n) => n.opType)).toEqual([]);
    },
  );
});

describe('decode bodies', () => {
  it('one function per table kind, Odd forms only at opset 9, all calling the shared Indices', () => {
    expect([9, 10, 11].map((opset) => bodyName({ table: 'compact', opset, odd: true }))).toEqual([
      'DecodeCompactOdd',
      'DecodeCompact',
      'DecodeCompact',
    ]);
    expect(bodyName({ table: 'exact', opset: 9, odd: false })).toBe('Decode');
    const body = decodeBody({ table: 'compact', opset: 13, odd: true });
    expect(functionsOf(body).map((f) => f.name)).toEqual(['Indices', 'DecodeCompact']);
    expect(body.inputs).toEqual(['packed', 'header', 'codebook', 'scales', 'centre']);
    // flattened: no call left, every local of Indices renamed apart from the outer body's
    const flat = flatten(body);
    expect(flat.some((n) => n.domain === FUNCTION_DOMAIN)).toBe(false);
    const outputs = flat.flatMap((n) => n.output ?? []);
    expect(new Set(outputs).size).toBe(outputs.length);
  });

  it.each(OPSETS)('opset %i: only operators that exist at that opset, with attributes where it wants them', (opset) => {
    const ops = new Set(
      (['exact', 'compact'] as const).flatMap((table) =>
        flatten(decodeBody({ table, opset, odd: true })).map((n) => n.opType),
      ),
    );
    expect(ops.has('Range')).toBe(opset >= 11);
    expect(ops.has('Mod')).toBe(opset >= 11); // Mod (10) only where Range is used
    expect(ops.has('Unsqueeze') || ops.has('ReduceSum')).toBe(opset < 11); // axes attributes until 13
    const slices = flatten(decodeBody({ table: 'exact', opset, odd: true })).filter((n) => n.opType === 'Slice');
    expect(slices.every((n) => (n.input ?? []).length === (opset < 10 ? 1 : 3))).toBe(true);
    expect(MIN_DECODE_OPSET).toBe(9);
  });
});
