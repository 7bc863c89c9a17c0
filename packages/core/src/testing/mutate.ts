/**
 * Seeded mutations of an ONNX file, for fuzzing mc's input handling (issue 17): raw byte damage
 * (flips, truncation, inserted garbage) and protobuf-level edits (decode with onnx-proto, swap or
 * rewrite fields, re-encode), the latter producing the well-formed but invalid graphs a broken
 * exporter writes. The same seed gives the same mutant.
 */
import { createRng } from '../rng.js';
import type { Rng } from '../contracts.js';
import { pb, type onnx } from '../onnx/proto.js';

export interface Mutant {
  readonly seed: number;
  /** which mutation, e.g. 'flip' or 'rewrite-attribute-type' */
  readonly kind: string;
  /** what was changed, in words */
  readonly description: string;
  readonly bytes: Uint8Array;
}

type ProtoMutation = (m: onnx.ModelProto, rng: Rng) => string | undefined;

const pick = <T>(rng: Rng, list: readonly T[]): T | undefined => (list.length ? list[rng.int(list.length)] : undefined);

/** An int64 a dim, version or attribute could hold, biased to the edges mc must survive. */
function wildInt(rng: Rng): number | { low: number; high: number; unsigned: boolean } {
  const choices = [
    () => -1,
    () => 0,
    () => rng.int(64),
    () => 2 ** 31,
    () => -(2 ** 40),
    () => ({ low: 1, high: 0x200000, unsigned: false }), // 2^53 + 1
    () => ({ low: -1, high: 0x7fffffff, unsigned: false }), // INT64_MAX
  ];
  return pick(rng, choices)!();
}

function allNodes(g: onnx.IGraphProto | null | undefined): onnx.INodeProto[] {
  const out: onnx.INodeProto[] = [];
  for (const n of g?.node ?? []) {
    out.push(n);
    for (const a of n.attribute ?? []) {
      out.push(...allNodes(a.g));
      for (const sg of a.graphs ?? []) out.push(...allNodes(sg));
    }
  }
  return out;
}

function valueNames(m: onnx.ModelProto): string[] {
  const g = m.graph!;
  return [
    ...(g.input ?? []).map((v) => v.name ?? ''),
    ...(g.initializer ?? []).map((t) => t.name ?? ''),
    ...allNodes(g).flatMap((n) => n.output ?? []),
  ].filter(Boolean);
}

const PROTO_MUTATIONS: Readonly<Record<string, ProtoMutation>> = {
  'swap-nodes': (m, rng) => {
    const nodes = m.graph!.node ?? [];
    if (nodes.length < 2) return undefined;
    const [i, j] = [rng.int(nodes.length), rng.int(nodes.length)];
    [nodes[i], nodes[j]] = [nodes[j], nodes[i]];
    return `swapped nodes #${i} and #${j}`;
  },
  'swap-inputs': (m, rng) => {
    const nodes = allNodes(m.graph).filter((n) => (n.input?.length ?? 0) > 0);
    const [a, b] = [pick(rng, nodes), pick(rng, nodes)];
    if (!a || !b) return undefined;
    const [i, j] = [rng.int(a.input!.length), rng.int(b.input!.length)];
    [a.input![i], b.input![j]] = [b.input![j], a.input![i]];
    return `swapped input ${i} of ${a.name} with input ${j} of ${b.name}`;
  },
  'swap-initializer-dims': (m, rng) => {
    const inits = m.graph!.initializer ?? [];
    const [a, b] = [pick(rng, inits), pick(rng, inits)];
    if (!a || !b) return undefined;
    [a.dims, b.dims] = [b.dims, a.dims];
    return `swapped the dims of ${a.name} and ${b.name}`;
  },
  'swap-attributes': (m, rng) => {
    const nodes = allNodes(m.graph).filter((n) => (n.attribute?.length ?? 0) > 0);
    const [a, b] = [pick(rng, nodes), pick(rng, nodes)];
    if (!a || !b) return undefined;
    [a.attribute, b.attribute] = [b.attribute, a.attribute];
    return `swapped the attributes of ${a.name} and ${b.name}`;
  },
  'rewrite-input': (m, rng) => {
    const node = pick(
      rng,
      allNodes(m.graph).filter((n) => (n.input?.length ?? 0) > 0),
    );
    if (!node) return undefined;
    const i = rng.int(node.input!.length);
    const name = rng.next() < 0.5 ? pick(rng, valueNames(m))! : `missing_${rng.int(1000)}`;
    node.input![i] = name;
    return `input ${i} of ${node.name} -> ${name}`;
  },
  'rewrite-output': (m, rng) => {
    const node = pick(rng, allNodes(m.graph));
    const name = pick(rng, valueNames(m));
    if (!node || !node.output?.length || !name) return undefined;
    node.output[0] = name;
    return `output of ${node.name} -> ${name} (defined elsewhere)`;
  },
  'duplicate-initializer': (m, rng) => {
    const t = pick(rng, m.graph!.initializer ?? []);
    if (!t) return undefined;
    m.graph!.initializer!.push(pb.TensorProto.create({ ...t }));
    return `initializer ${t.name} defined twice`;
  },
  'duplicate-node-name': (m, rng) => {
    const nodes = m.graph!.node ?? [];
    const [a, b] = [pick(rng, nodes), pick(rng, nodes)];
    if (!a || !b || a === b) return undefined;
    b.name = a.name;
    return `node ${a.name} named twice`;
  },
  'remove-node': (m, rng) => {
    const nodes = m.graph!.node ?? [];
    if (!nodes.length) return undefined;
    const [n] = nodes.splice(rng.int(nodes.length), 1);
    return `removed node ${n.name}`;
  },
  'remove-initializer': (m, rng) => {
    const inits = m.graph!.initializer ?? [];
    if (!inits.length) return undefined;
    const [t] = inits.splice(rng.int(inits.length), 1);
    return `removed initializer ${t.name}`;
  },
  'rewrite-attribute-type': (m, rng) => {
    const a = pick(
      rng,
      allNodes(m.graph).flatMap((n) => n.attribute ?? []),
    );
    if (!a) return undefined;
    a.type = rng.int(20) as onnx.AttributeProto.AttributeType;
    return `attribute ${a.name} type -> ${a.type}`;
  },
  'rewrite-attribute-value': (m, rng) => {
    const a = pick(
      rng,
      allNodes(m.graph).flatMap((n) => n.attribute ?? []),
    );
    if (!a) return undefined;
    if (a.ints?.length) a.ints[rng.int(a.ints.length)] = wildInt(rng) as number;
    else a.i = wildInt(rng) as number;
    return `attribute ${a.name} value rewritten`;
  },
  'rewrite-dim': (m, rng) => {
    const t = pick(
      rng,
      (m.graph!.initializer ?? []).filter((x) => (x.dims?.length ?? 0) > 0),
    );
    if (!t) return undefined;
    t.dims![rng.int(t.dims!.length)] = wildInt(rng) as number;
    return `a dim of ${t.name} rewritten`;
  },
  'rewrite-shape-dim': (m, rng) => {
    const v = pick(
      rng,
      [...(m.graph!.input ?? []), ...(m.graph!.output ?? [])].filter((x) => x.type?.tensorType?.shape?.dim?.length),
    );
    if (!v) return undefined;
    const dims = v.type!.tensorType!.shape!.dim!;
    dims[rng.int(dims.length)] = pb.TensorShapeProto.Dimension.create({ dimValue: wildInt(rng) as number });
    return `a shape dim of ${v.name} rewritten`;
  },
  'rewrite-data-type': (m, rng) => {
    const t = pick(rng, m.graph!.initializer ?? []);
    if (!t) return undefined;
    t.dataType = rng.int(24);
    return `data type of ${t.name} -> ${t.dataType}`;
  },
  'truncate-raw-data': (m, rng) => {
    const t = pick(
      rng,
      (m.graph!.initializer ?? []).filter((x) => (x.rawData?.length ?? 0) > 0),
    );
    if (!t) return undefined;
    t.rawData = t.rawData!.subarray(0, rng.int(t.rawData!.length));
    return `raw_data of ${t.name} cut to ${t.rawData.length} bytes`;
  },
  'rewrite-op-type': (m, rng) => {
    const nodes = allNodes(m.graph);
    const [a, b] = [pick(rng, nodes), pick(rng, nodes)];
    if (!a || !b) return undefined;
    a.opType = rng.next() < 0.8 ? b.opType : `NoSuchOp${rng.int(10)}`;
    return `op of ${a.name} -> ${a.opType}`;
  },
  'rewrite-domain': (m, rng) => {
    const n = pick(rng, allNodes(m.graph));
    if (!n) return undefined;
    n.domain = pick(rng, ['com.microsoft', 'ai.onnx.ml', 'com.example', 'ai.onnx'])!;
    return `domain of ${n.name} -> ${n.domain}`;
  },
  'rewrite-opset': (m, rng) => {
    const o = pick(rng, m.opsetImport ?? []);
    if (!o) return undefined;
    o.version = rng.next() < 0.5 ? rng.int(30) : (wildInt(rng) as number);
    return `opset of "${o.domain}" -> ${String(o.version)}`;
  },
  'rewrite-ir-version': (m, rng) => {
    m.irVersion = rng.int(14);
    return `ir_version -> ${m.irVersion}`;
  },
  'external-data': (m, rng) => {
    const t = pick(rng, m.graph!.initializer ?? []);
    if (!t) return undefined;
    t.dataLocation = pb.TensorProto.DataLocation.EXTERNAL;
    t.externalData = [
      pb.StringStringEntryProto.create({
        key: 'location',
        value: pick(rng, ['w.bin', '../../etc/passwd', '/etc/passwd', ''])!,
      }),
      pb.StringStringEntryProto.create({ key: 'offset', value: String(rng.int(100)) }),
    ];
    return `initializer ${t.name} made external`;
  },
};

const RAW_MUTATIONS: Readonly<Record<string, (b: Uint8Array, rng: Rng) => { bytes: Uint8Array; description: string }>> =
  {
    flip: (b, rng) => {
      const out = Uint8Array.from(b);
      const n = 1 + rng.int(8);
      for (let k = 0; k < n; k++) out[rng.int(out.length)] ^= 1 + rng.int(255);
      return { bytes: out, description: `${n} bytes flipped` };
    },
    truncate: (b, rng) => {
      const at = rng.int(b.length);
      return { bytes: b.subarray(0, at), description: `cut at byte ${at} of ${b.length}` };
    },
    insert: (b, rng) => {
      const at = rng.int(b.length);
      const junk = Uint8Array.from({ length: 1 + rng.int(64) }, () => rng.int(256));
      const out = new Uint8Array(b.length + junk.length);
      out.set(b.subarray(0, at));
      out.set(junk, at);
      out.set(b.subarray(at), at + junk.length);
      return { bytes: out, description: `${junk.length} random bytes inserted at byte ${at}` };
    },
  };

export const MUTATION_KINDS: readonly string[] = [...Object.keys(RAW_MUTATIONS), ...Object.keys(PROTO_MUTATIONS)];

/** One mutant of `original` (an encoded ModelProto): a raw mutation a third of the time, else a protobuf edit. */
export function mutateModel(original: Uint8Array, seed: number): Mutant {
  const rng = createRng(seed);
  if (rng.next() < 1 / 3) {
    const kind = pick(rng, Object.keys(RAW_MUTATIONS))!;
    return { seed, kind, ...RAW_MUTATIONS[kind](original, rng) };
  }
  const kinds = Object.keys(PROTO_MUTATIONS);
  for (let attempt = 0; attempt < 10; attempt++) {
    const kind = pick(rng, kinds)!;
    const model = pb.ModelProto.decode(Buffer.from(original));
    const description = PROTO_MUTATIONS[kind](model, rng);
    if (description) return { seed, kind, description, bytes: pb.ModelProto.encode(model).finish() };
  }
  return { seed, kind: 'none', description: 'no mutation applied', bytes: Uint8Array.from(original) };
}
