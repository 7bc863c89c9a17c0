// Where the bytes of a hyper file go (issue 16 item 5): mnist-cnn at --target-bpw 4.5, written at
// the model's own opset 17 (the shared decode functions), at opset 9 (the same model with HardSwish
// spelled x·HardSigmoid(x), the only op newer than 9; the bit-splitting unpack) and at IR 7 (no
// model-local functions: the decode written per tensor). Per file: packed indices, headers, tables,
// the inline decodes' shared constants, float32-kept weights, initializer framing (names, dims),
// graph nodes, functions (their constants inside), metadata, and
// the rest; bits per weight as mc reports it and file bits per parameter (8 × file bytes / dense
// parameters), and top-1 on mnist-test. Target: the opset-17 file <= 64 KiB.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import { BIN, REPO, table } from './lib/measure.mjs';

const pb = onnxProto.onnx;
const SHARED = resolve(REPO, '../shared');
const TARGET = 64 * 1024;

function mc(args) {
  const r = spawnSync(process.execPath, [BIN, ...args, '--json', '--device', 'cpu'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (r.status !== 0) throw new Error(`mc ${args.join(' ')} failed (${r.status}): ${r.stderr.split('\n')[0]}`);
  return JSON.parse(r.stdout);
}

/** Bytes of a serialized field: the message, its tag and length prefix. */
const framed = (n) => n + 1 + (n < 128 ? 1 : n < 16384 ? 2 : 3);
const encoded = (T, x) => T.encode(x).finish().length;

/** The file's bytes by what they hold. */
export function byteBreakdown(path) {
  const bytes = readFileSync(path);
  const m = pb.ModelProto.decode(bytes);
  const g = m.graph;
  const out = {
    file: bytes.length,
    packed: 0,
    headers: 0,
    tables: 0,
    constants: 0,
    float32: 0,
    framing: 0,
    graph: 0,
    functions: 0,
    metadata: 0,
    other: 0,
    nodes: g.node.length,
    functionNodes: 0,
  };
  for (const t of g.initializer) {
    const data = t.rawData?.length ?? 0;
    const role = /\.hyper\.(packed|header|table|codebook|scales|centre)$/.exec(t.name)?.[1];
    const shared = t.name.startsWith('mc.hyper.'); // the inline decodes' shared constants
    out[
      shared ? 'constants' : role === 'packed' ? 'packed' : role === 'header' ? 'headers' : role ? 'tables' : 'float32'
    ] += data;
    out.framing += framed(encoded(pb.TensorProto, t)) - data;
  }
  // graph inputs/outputs/value_info of the original model stay in "other"
  out.graph = g.node.reduce((s, n) => s + framed(encoded(pb.NodeProto, n)), 0);
  out.functions = (m.functions ?? []).reduce((s, f) => s + framed(encoded(pb.FunctionProto, f)), 0);
  out.functionNodes = (m.functions ?? []).reduce((s, f) => s + f.node.length, 0);
  out.metadata = (m.metadataProps ?? []).reduce((s, p) => s + framed(encoded(pb.StringStringEntryProto, p)), 0);
  out.other =
    out.file -
    out.packed -
    out.headers -
    out.tables -
    out.constants -
    out.float32 -
    out.framing -
    out.graph -
    out.functions -
    out.metadata;
  return out;
}

/** mnist-cnn at opset 9: HardSwish(x) = x·HardSigmoid(x; alpha 1/6, beta 0.5); nothing else is newer than 9. */
function toOpset9(src, irVersion) {
  const m = pb.ModelProto.decode(readFileSync(src));
  const nodes = [];
  for (const n of m.graph.node) {
    if (n.opType !== 'HardSwish') {
      nodes.push(n);
      continue;
    }
    const gate = `${n.output[0]}_gate`;
    nodes.push(
      pb.NodeProto.create({
        name: `${n.name}_sigmoid`,
        opType: 'HardSigmoid',
        input: [n.input[0]],
        output: [gate],
        attribute: [
          { name: 'alpha', type: 1, f: 1 / 6 },
          { name: 'beta', type: 1, f: 0.5 },
        ],
      }),
    );
    nodes.push(pb.NodeProto.create({ name: n.name, opType: 'Mul', input: [n.input[0], gate], output: n.output }));
  }
  m.graph.node = nodes;
  for (const o of m.opsetImport) if (!o.domain) o.version = 9;
  if (irVersion !== undefined) m.irVersion = irVersion;
  return pb.ModelProto.encode(m).finish();
}

function withIr(src, irVersion) {
  const m = pb.ModelProto.decode(readFileSync(src));
  m.irVersion = irVersion;
  return pb.ModelProto.encode(m).finish();
}

export async function benchHyperFile() {
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-hyper-file-'));
  const results = join(dir, 'results');
  const src = join(SHARED, 'models/mnist-cnn');
  const variants = [
    ['opset 17, IR 8 (functions)', null],
    ['opset 9, IR 8 (functions)', (p) => toOpset9(p)],
    ['opset 17, IR 7 (inline)', (p) => withIr(p, 7)],
    ['opset 9, IR 7 (inline)', (p) => toOpset9(p, 7)],
  ];
  const rows = [];
  for (const [label, make] of variants) {
    const dense = join(dir, label.replace(/\W+/g, '_'));
    mkdirSync(dense);
    copyFileSync(join(src, 'config.json'), join(dense, 'config.json'));
    if (make) writeFileSync(join(dense, 'model.onnx'), make(join(src, 'model.onnx')));
    else copyFileSync(join(src, 'model.onnx'), join(dense, 'model.onnx'));
    const out = `${dense}-hyper`;
    const c = mc(['compress', dense, '--method', 'hyper', '--target-bpw', '4.5', '--out', out, '--results', results]);
    const params = c.steps[0].tensors.reduce((s, t) => s + t.elements, 0);
    const top1 = (m) =>
      mc(['eval', m, '--metric', 'accuracy', '--dataset', join(SHARED, 'data/mnist-test'), '--results', results]).metric
        .values.top1.value;
    const b = byteBreakdown(join(out, 'model.onnx'));
    rows.push([
      label,
      b.file,
      (b.file / 1024).toFixed(1),
      rows.length > 0 ? '' : b.file <= TARGET ? 'yes' : 'NO',
      b.packed,
      b.headers,
      b.tables,
      b.constants,
      b.float32,
      b.framing,
      `${b.graph} (${b.nodes})`,
      `${b.functions} (${b.functionNodes})`,
      b.metadata,
      b.other,
      c.bitsPerWeight.toFixed(3),
      ((8 * b.file) / params).toFixed(3),
      top1(dense).toFixed(4),
      top1(out).toFixed(4),
    ]);
  }
  console.log(
    'mnist-cnn --method hyper --target-bpw 4.5: bytes of the file by what they hold (graph and functions: bytes (nodes)); target: opset 17 <= 64 KiB',
  );
  console.log(
    table(
      [
        'model',
        'file B',
        'KiB',
        'opset 17 <= 64 KiB',
        'packed',
        'headers',
        'tables',
        'constants',
        'float32',
        'framing',
        'graph',
        'functions',
        'metadata',
        'other',
        'bits/w',
        'file bits/param',
        'top-1 dense',
        'top-1 hyper',
      ],
      rows,
    ),
  );
  console.log('');
}
