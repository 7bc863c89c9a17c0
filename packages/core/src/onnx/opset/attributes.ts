/** Reading and writing node attributes by name (onnx AttributeProto), for the opset adapters. */
import type { NodeProto } from '../model-types.js';
import { pb, toBigInt, type onnx } from '../proto.js';

const A = pb.AttributeProto.AttributeType;

export function attribute(node: NodeProto, name: string): onnx.IAttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

export function intAttr(node: NodeProto, name: string): number | undefined {
  const a = attribute(node, name);
  return a?.i === undefined || a.i === null ? undefined : Number(a.i);
}

/** An INTS attribute as exact bigints (Slice ends are often INT64_MAX, beyond a double). */
export function intsAttr(node: NodeProto, name: string): bigint[] | undefined {
  const a = attribute(node, name);
  if (!a) return undefined;
  return (a.ints ?? []).map((v) =>
    typeof v === 'number' ? BigInt(v) : toBigInt(v as { low: number; high: number; unsigned?: boolean }),
  );
}

export function floatAttr(node: NodeProto, name: string): number | undefined {
  const a = attribute(node, name);
  return a?.f === undefined || a.f === null ? undefined : Number(a.f);
}

export function stringAttr(node: NodeProto, name: string): string | undefined {
  const a = attribute(node, name);
  return a?.s ? new TextDecoder().decode(a.s) : undefined;
}

export function removeAttr(node: NodeProto, name: string): void {
  if (node.attribute) node.attribute = node.attribute.filter((a) => a.name !== name);
}

function setAttr(node: NodeProto, value: onnx.IAttributeProto): void {
  removeAttr(node, value.name ?? '');
  (node.attribute ??= []).push(pb.AttributeProto.create(value));
}

export const setIntAttr = (node: NodeProto, name: string, i: number): void => setAttr(node, { name, type: A.INT, i });
export const setStringAttr = (node: NodeProto, name: string, s: string): void =>
  setAttr(node, { name, type: A.STRING, s: new TextEncoder().encode(s) });
