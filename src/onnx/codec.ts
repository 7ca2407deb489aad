// ONNX ModelProto <-> the plain objects of ./types.ts, on our own protobuf wire code (./proto.ts; why not
// protobufjs is said there). Field numbers are onnx/onnx.proto's (checked against onnx 1.12's copy).
//
// Decoding refuses, naming where (graph 'g' initializer 'w': ...), what the subset cannot represent faithfully:
// external data, sparse initializers, tensor segments, uint64 tensor fields, subgraph-, sparse-, type- and
// tensor-list attributes, training_info and model-local functions. Fields simdnet has no use for (doc strings of
// nodes and tensors, quantization annotations, denotations) are skipped. String tensors (skl2onnx's class labels)
// and non-tensor value types (skl2onnx's ZipMap output) are recorded but not kept — a string count, a kind — so
// that a graph holding them on a branch the importer leaves out still decodes; the tensor helpers refuse string
// tensors, and encodeModel refuses both (it could not write them back faithfully).
//
// decode(encode(m)) deep-equals m once m is normalized as decoding produces it: floats rounded to float32 where the
// field is a float (attribute f/floats, float_data), empty typed data lists absent, an attribute's value field
// present for its type (a default when the file omitted it).

import { SimdnetError, check, type ErrorCode } from '../errors.js';
import { halfToFloat } from '../io/bounds.js';
import { Reader, Wire, Writer } from './proto.js';
import {
  AttrType,
  DataType,
  type OnnxAttribute,
  type OnnxDim,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxOpset,
  type OnnxTensor,
  type OnnxValueInfo,
} from './types.js';

// ---------------------------------------------------------------------------------------------------------------
// Where an error happened: each level that decodes a named thing wraps the work and prefixes its label.

class Located extends SimdnetError {
  readonly where: string[];
  readonly detail: string;
  constructor(code: ErrorCode, where: string[], detail: string) {
    super(code, where.length > 0 ? `${where.join(' ')}: ${detail}` : detail);
    this.where = where;
    this.detail = detail;
  }
}

function within<T>(label: () => string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof SimdnetError)) throw e;
    const where = e instanceof Located ? e.where : [];
    const detail = e instanceof Located ? e.detail : e.message;
    throw new Located(e.code, [label(), ...where], detail);
  }
}

function refuse(message: string): never {
  throw new SimdnetError('FORMAT', message);
}

const q = (s: string): string => `'${s}'`;

/**
 * A label's names for the message `m`, read from its start only when an error needs them (a second scan of every
 * message would cost the happy path). Best effort: a malformed message gives what could be read.
 */
function names(m: Reader, fields: number[]): () => Array<string | undefined> {
  const at = m.pos;
  return () => peek(new Reader(m.buf, at, m.end, m.depth), fields);
}

/** Reads the string fields `fields` of the message ahead without consuming it (for labels); best effort. */
function peek(r: Reader, fields: number[]): Array<string | undefined> {
  const out: Array<string | undefined> = fields.map(() => undefined);
  const p = new Reader(r.buf, r.pos, r.end, r.depth);
  try {
    while (!p.done()) {
      const f = p.tag();
      const i = fields.indexOf(f);
      if (i >= 0 && p.wire === Wire.LEN) out[i] = p.string();
      else p.skip(p.wire);
    }
  } catch {
    // Malformed: the real pass reports it.
  }
  return out;
}

function str(r: Reader, field: number): string {
  r.expect(field, r.wire, Wire.LEN);
  return r.string();
}

/** Free text (doc strings, producer names): invalid UTF-8 is replaced, not refused. */
function text(r: Reader, field: number): string {
  r.expect(field, r.wire, Wire.LEN);
  return r.string(true);
}

function i64(r: Reader, field: number): number {
  r.expect(field, r.wire, Wire.VARINT);
  return r.int64();
}

function i32(r: Reader, field: number): number {
  r.expect(field, r.wire, Wire.VARINT);
  return r.int32();
}

function msg(r: Reader, field: number): Reader {
  r.expect(field, r.wire, Wire.LEN);
  return r.message();
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

/** Decodes an .onnx file (a serialized ModelProto). Throws SimdnetError('FORMAT') naming what and where. */
export function decodeModel(bytes: Uint8Array | ArrayBuffer): OnnxModel {
  if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
  if (!(bytes instanceof Uint8Array)) {
    throw new SimdnetError('DTYPE', 'decodeModel expects the bytes of an .onnx file (a Uint8Array or ArrayBuffer)');
  }
  const r = new Reader(bytes);
  let irVersion: number | undefined;
  const opsetImport: OnnxOpset[] = [];
  let producerName = '';
  let producerVersion = '';
  let domain = '';
  let modelVersion = 0;
  let docString = '';
  let graph: OnnxGraph | undefined;
  const metadataProps: Array<{ key: string; value: string }> = [];
  const functions: string[] = [];
  let trainingInfo = 0;
  while (!r.done()) {
    const f = r.tag();
    switch (f) {
      case 1:
        irVersion = i64(r, f);
        break;
      case 2:
        producerName = text(r, f);
        break;
      case 3:
        producerVersion = text(r, f);
        break;
      case 4:
        domain = str(r, f);
        break;
      case 5:
        modelVersion = i64(r, f);
        break;
      case 6:
        docString = text(r, f);
        break;
      case 7: {
        const g = msg(r, f);
        if (graph !== undefined) refuse('the model holds two graphs (ModelProto.graph appears twice)');
        graph = decodeGraph(g);
        break;
      }
      case 8: {
        const m = msg(r, f);
        opsetImport.push(
          within(
            () => `opset_import #${opsetImport.length}`,
            () => decodeOpset(m),
          ),
        );
        break;
      }
      case 14: {
        const m = msg(r, f);
        metadataProps.push(
          within(
            () => `metadata_props #${metadataProps.length}`,
            () => decodeEntry(m),
          ),
        );
        break;
      }
      case 20:
        msg(r, f);
        trainingInfo++;
        break;
      case 25: {
        const m = msg(r, f);
        const [name, dom] = peek(m, [1, 10]);
        functions.push(`${dom ? `${dom}.` : ''}${name ?? '?'}`);
        break;
      }
      default:
        r.skip(r.wire);
    }
  }
  if (irVersion === undefined && graph === undefined) {
    refuse('not an ONNX model: no ir_version and no graph (is this an .onnx file?)');
  }
  if (graph === undefined) refuse('the ONNX model has no graph');
  if (irVersion === undefined) refuse('the ONNX model has no ir_version');
  if (functions.length > 0) {
    refuse(
      `the model defines local functions ${functions.map(q).join(', ')}; simdnet does not import model-local ` +
        "functions (export with them inlined, e.g. onnx.inliner or the exporter's function-inlining option)",
    );
  }
  if (trainingInfo > 0) {
    refuse('the model carries training_info (on-device training graphs); simdnet imports inference models only');
  }
  return {
    irVersion,
    opsetImport,
    producerName,
    producerVersion,
    domain,
    modelVersion,
    docString,
    graph,
    metadataProps,
  };
}

function decodeOpset(r: Reader): OnnxOpset {
  let domain = '';
  let version = 0;
  while (!r.done()) {
    const f = r.tag();
    if (f === 1) domain = str(r, f);
    else if (f === 2) version = i64(r, f);
    else r.skip(r.wire);
  }
  return { domain, version };
}

function decodeEntry(r: Reader): { key: string; value: string } {
  let key = '';
  let value = '';
  while (!r.done()) {
    const f = r.tag();
    if (f === 1) key = str(r, f);
    else if (f === 2) value = str(r, f);
    else r.skip(r.wire);
  }
  return { key, value };
}

function decodeGraph(r: Reader): OnnxGraph {
  const [peekedName] = peek(r, [2]);
  const g: OnnxGraph = { name: peekedName ?? '', node: [], initializer: [], input: [], output: [], valueInfo: [] };
  return within(
    () => (g.name ? `graph ${q(g.name)}` : 'graph'),
    () => {
      while (!r.done()) {
        const f = r.tag();
        switch (f) {
          case 1: {
            const m = msg(r, f);
            const look = names(m, [3, 4]);
            const i = g.node.length;
            const label = (): string => {
              const [name, op] = look();
              return (name ? `node ${q(name)}` : `node #${i}`) + (op ? ` (${op})` : '');
            };
            g.node.push(within(label, () => decodeNode(m)));
            break;
          }
          case 2:
            g.name = str(r, f);
            break;
          case 5: {
            const m = msg(r, f);
            const look = names(m, [8]);
            const i = g.initializer.length;
            const label = (): string => {
              const [name] = look();
              return name ? `initializer ${q(name)}` : `initializer #${i}`;
            };
            g.initializer.push(within(label, () => decodeTensor(m)));
            break;
          }
          case 10:
            g.docString = text(r, f);
            break;
          case 11:
          case 12:
          case 13: {
            const m = msg(r, f);
            const look = names(m, [1]);
            const list = f === 11 ? g.input : f === 12 ? g.output : g.valueInfo;
            const kind = f === 11 ? 'input' : f === 12 ? 'output' : 'value_info';
            const i = list.length;
            const label = (): string => {
              const [name] = look();
              return name ? `${kind} ${q(name)}` : `${kind} #${i}`;
            };
            list.push(within(label, () => decodeValueInfo(m)));
            break;
          }
          case 15: {
            const m = msg(r, f);
            const name = sparseName(m);
            refuse(
              `sparse initializer${name ? ` ${q(name)}` : ''} is not supported (SparseTensorProto); ` +
                'save the model with dense initializers',
            );
            break;
          }
          default:
            r.skip(r.wire);
        }
      }
      return g;
    },
  );
}

/** The name of a SparseTensorProto (its values tensor's name), for the refusal message. */
function sparseName(r: Reader): string | undefined {
  const p = new Reader(r.buf, r.pos, r.end, r.depth);
  try {
    while (!p.done()) {
      const f = p.tag();
      if (f === 1 && p.wire === Wire.LEN) return peek(p.message(), [8])[0];
      p.skip(p.wire);
    }
  } catch {
    // best effort
  }
  return undefined;
}

function decodeNode(r: Reader): OnnxNode {
  const n: OnnxNode = { name: '', opType: '', domain: '', input: [], output: [], attribute: [] };
  while (!r.done()) {
    const f = r.tag();
    switch (f) {
      case 1:
        n.input.push(str(r, f));
        break;
      case 2:
        n.output.push(str(r, f));
        break;
      case 3:
        n.name = str(r, f);
        break;
      case 4:
        n.opType = str(r, f);
        break;
      case 5: {
        const m = msg(r, f);
        const look = names(m, [1]);
        const i = n.attribute.length;
        const label = (): string => {
          const [name] = look();
          return name !== undefined ? `attribute ${q(name)}` : `attribute #${i}`;
        };
        const a = within(label, () => decodeAttribute(m));
        if (n.attribute.some((b) => b.name === a.name)) refuse(`attribute ${q(a.name)} appears twice`);
        n.attribute.push(a);
        break;
      }
      case 7:
        n.domain = str(r, f);
        break;
      default:
        r.skip(r.wire);
    }
  }
  return n;
}

const ATTR_TYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED',
  1: 'FLOAT',
  2: 'INT',
  3: 'STRING',
  4: 'TENSOR',
  5: 'GRAPH',
  6: 'FLOATS',
  7: 'INTS',
  8: 'STRINGS',
  9: 'TENSORS',
  10: 'GRAPHS',
  11: 'SPARSE_TENSOR',
  12: 'SPARSE_TENSORS',
  13: 'TYPE_PROTO',
  14: 'TYPE_PROTOS',
};

/** The name of an AttributeProto.AttributeType value (e.g. 'INTS'). */
export function attrTypeName(type: number): string {
  return ATTR_TYPE_NAMES[type] ?? `type ${type}`;
}

function decodeAttribute(r: Reader): OnnxAttribute {
  const a: OnnxAttribute = { name: '', type: 0 };
  let floats: number[] | undefined;
  let ints: number[] | undefined;
  let strings: string[] | undefined;
  while (!r.done()) {
    const f = r.tag();
    switch (f) {
      case 1:
        a.name = str(r, f);
        break;
      case 2:
        r.expect(f, r.wire, Wire.I32);
        a.f = r.float();
        break;
      case 3:
        a.i = i64(r, f);
        break;
      case 4:
        a.s = str(r, f);
        break;
      case 5: {
        const m = msg(r, f);
        const look = names(m, [8]);
        a.t = within(
          () => {
            const [name] = look();
            return name ? `tensor ${q(name)}` : 'tensor';
          },
          () => decodeTensor(m),
        );
        break;
      }
      case 6:
      case 11:
        refuse('holds a subgraph (as the bodies of If, Loop and Scan do); simdnet imports straight-line graphs only');
        break;
      case 7:
        r.repeated(f, r.wire, 'float', (floats ??= []));
        break;
      case 8:
        r.repeated(f, r.wire, 'int64', (ints ??= []));
        break;
      case 9:
        (strings ??= []).push(str(r, f));
        break;
      case 10:
        refuse('holds a list of tensors (TENSORS), which simdnet does not read');
        break;
      case 14:
      case 15:
        refuse('holds a type (TYPE_PROTO), which simdnet does not read');
        break;
      case 20:
        a.type = i32(r, f);
        break;
      case 21:
        refuse(`refers to a function attribute (ref_attr_name ${q(str(r, f))}), which only function bodies may do`);
        break;
      case 22:
      case 23:
        refuse('holds a sparse tensor, which simdnet does not read');
        break;
      default:
        r.skip(r.wire);
    }
  }
  if (floats) a.floats = floats;
  if (ints) a.ints = ints;
  if (strings) a.strings = strings;
  if (a.type === 0) {
    // IR version 1 files carry no type: infer it from the one value field present.
    const present: number[] = [];
    if (a.f !== undefined) present.push(AttrType.FLOAT);
    if (a.i !== undefined) present.push(AttrType.INT);
    if (a.s !== undefined) present.push(AttrType.STRING);
    if (a.t !== undefined) present.push(AttrType.TENSOR);
    if (a.floats !== undefined) present.push(AttrType.FLOATS);
    if (a.ints !== undefined) present.push(AttrType.INTS);
    if (a.strings !== undefined) present.push(AttrType.STRINGS);
    if (present.length !== 1) {
      refuse(
        present.length === 0
          ? 'has no type and no value'
          : `has no type and several values (${present.map(attrTypeName).join(', ')})`,
      );
    }
    a.type = present[0];
  }
  switch (a.type) {
    case AttrType.FLOAT:
      a.f ??= 0;
      break;
    case AttrType.INT:
      a.i ??= 0;
      break;
    case AttrType.STRING:
      a.s ??= '';
      break;
    case AttrType.TENSOR:
      if (a.t === undefined) refuse('is a TENSOR attribute without a tensor');
      break;
    case AttrType.FLOATS:
      a.floats ??= [];
      break;
    case AttrType.INTS:
      a.ints ??= [];
      break;
    case AttrType.STRINGS:
      a.strings ??= [];
      break;
    case 5:
    case 10:
      refuse(
        `is of type ${attrTypeName(a.type)} (a subgraph, as If, Loop and Scan bodies); simdnet imports straight-line graphs only`,
      );
      break;
    default:
      refuse(`is of type ${attrTypeName(a.type)}, which simdnet does not read`);
  }
  return a;
}

function decodeTensor(r: Reader): OnnxTensor {
  const t: OnnxTensor = { name: '', dims: [], dataType: 0 };
  const floatData: number[] = [];
  const int32Data: number[] = [];
  const int64Data: number[] = [];
  const doubleData: number[] = [];
  let segment = false;
  let location: number | undefined;
  let external: string | undefined;
  let hasExternal = false;
  let stringCount = 0;
  while (!r.done()) {
    const f = r.tag();
    switch (f) {
      case 1:
        r.repeated(f, r.wire, 'int64', t.dims);
        break;
      case 2:
        t.dataType = i32(r, f);
        break;
      case 3:
        msg(r, f);
        segment = true;
        break;
      case 4:
        r.repeated(f, r.wire, 'float', floatData);
        break;
      case 5:
        r.repeated(f, r.wire, 'int32', int32Data);
        break;
      case 6:
        // Counted and skipped: nothing is allocated per string, so the decoded model stays within the file's size.
        r.expect(f, r.wire, Wire.LEN);
        r.skip(Wire.LEN);
        stringCount++;
        break;
      case 7:
        r.repeated(f, r.wire, 'int64', int64Data);
        break;
      case 8:
        t.name = str(r, f);
        break;
      case 9: {
        r.expect(f, r.wire, Wire.LEN);
        // A copy: the model must not alias (or keep alive) the caller's file buffer.
        t.rawData = new Uint8Array(r.bytes());
        break;
      }
      case 10:
        r.repeated(f, r.wire, 'double', doubleData);
        break;
      case 11:
        refuse('holds uint64_data (UINT32/UINT64 values), which simdnet does not read');
        break;
      case 13: {
        const m = msg(r, f);
        hasExternal = true;
        const e = decodeEntry(m);
        if (e.key === 'location') external = e.value;
        break;
      }
      case 14:
        location = i32(r, f);
        break;
      default:
        r.skip(r.wire);
    }
  }
  if (segment) refuse('is a segment of a larger tensor (TensorProto.segment), which simdnet does not read');
  if (hasExternal || location === 1) {
    refuse(
      `its data is stored outside the .onnx file (external data${external !== undefined ? ` in ${q(external)}` : ''}); ` +
        'simdnet reads self-contained files: re-save with onnx.save_model(model, path, save_as_external_data=False)',
    );
  }
  if (location !== undefined && location !== 0) refuse(`has an unknown data_location ${location}`);
  if (floatData.length > 0) t.floatData = floatData;
  if (int32Data.length > 0) t.int32Data = int32Data;
  if (int64Data.length > 0) t.int64Data = int64Data;
  if (doubleData.length > 0) t.doubleData = doubleData;
  if (stringCount > 0) t.stringCount = stringCount;
  return t;
}

function decodeValueInfo(r: Reader): OnnxValueInfo {
  const v: OnnxValueInfo = { name: '', elemType: 0 };
  while (!r.done()) {
    const f = r.tag();
    if (f === 1) v.name = str(r, f);
    else if (f === 2) decodeType(msg(r, f), v);
    else r.skip(r.wire);
  }
  return v;
}

/** TypeProto's non-tensor members (field number → kind). */
const NON_TENSOR_TYPES: Record<number, NonNullable<OnnxValueInfo['kind']>> = {
  4: 'sequence',
  5: 'map',
  8: 'sparse',
  9: 'optional',
};

function decodeType(r: Reader, v: OnnxValueInfo): void {
  // TypeProto.value is a oneof: the last member present wins, as protobuf does.
  while (!r.done()) {
    const f = r.tag();
    if (f === 1) {
      const t = msg(r, f);
      delete v.kind;
      while (!t.done()) {
        const g = t.tag();
        if (g === 1) v.elemType = i32(t, g);
        else if (g === 2) v.shape = decodeShape(msg(t, g));
        else t.skip(t.wire);
      }
    } else if (NON_TENSOR_TYPES[f] !== undefined) {
      // Only the kind is kept (the importer refuses such a value where it needs it, naming it).
      msg(r, f);
      v.kind = NON_TENSOR_TYPES[f];
      v.elemType = 0;
      delete v.shape;
    } else {
      r.skip(r.wire);
    }
  }
}

function decodeShape(r: Reader): OnnxDim[] {
  const dims: OnnxDim[] = [];
  while (!r.done()) {
    const f = r.tag();
    if (f !== 1) {
      r.skip(r.wire);
      continue;
    }
    const d = msg(r, f);
    const dim: OnnxDim = {};
    while (!d.done()) {
      const g = d.tag();
      // A oneof: the last of dim_value / dim_param wins, as protobuf does.
      if (g === 1) {
        dim.value = i64(d, g);
        delete dim.param;
      } else if (g === 2) {
        dim.param = str(d, g);
        delete dim.value;
      } else d.skip(d.wire);
    }
    dims.push(dim);
  }
  return dims;
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

/** Serializes a model to .onnx bytes (fields in field-number order, as protobuf writes them). */
export function encodeModel(m: OnnxModel): Uint8Array {
  check(
    typeof m === 'object' && m !== null && typeof m.graph === 'object' && m.graph !== null,
    'DTYPE',
    () =>
      `encodeModel() takes a decoded OnnxModel (from decodeModel or exportOnnx), got ${m === null ? 'null' : typeof m}`,
  );
  const w = new Writer();
  w.int64(1, m.irVersion);
  if (m.producerName) w.string(2, m.producerName);
  if (m.producerVersion) w.string(3, m.producerVersion);
  if (m.domain) w.string(4, m.domain);
  if (m.modelVersion) w.int64(5, m.modelVersion);
  if (m.docString) w.string(6, m.docString);
  w.message(7, (g) => encodeGraph(g, m.graph));
  for (const o of m.opsetImport) {
    w.message(8, (s) => {
      if (o.domain) s.string(1, o.domain);
      s.int64(2, o.version);
    });
  }
  for (const e of m.metadataProps ?? []) {
    w.message(14, (s) => {
      s.string(1, e.key);
      s.string(2, e.value);
    });
  }
  return w.finish();
}

function encodeGraph(w: Writer, g: OnnxGraph): void {
  within(
    () => (g.name ? `graph ${q(g.name)}` : 'graph'),
    () => {
      g.node.forEach((n, i) =>
        within(
          () => `${n.name ? `node ${q(n.name)}` : `node #${i}`} (${n.opType})`,
          () => w.message(1, (s) => encodeNode(s, n)),
        ),
      );
      if (g.name) w.string(2, g.name);
      for (const t of g.initializer)
        within(
          () => `initializer ${q(t.name)}`,
          () => w.message(5, (s) => encodeTensor(s, t)),
        );
      if (g.docString !== undefined) w.string(10, g.docString);
      const infos = (field: number, kind: string, list: OnnxValueInfo[]): void => {
        list.forEach((v, i) =>
          within(
            () => (v.name ? `${kind} ${q(v.name)}` : `${kind} #${i}`),
            () => w.message(field, (s) => encodeValueInfo(s, v)),
          ),
        );
      };
      infos(11, 'input', g.input);
      infos(12, 'output', g.output);
      infos(13, 'value_info', g.valueInfo ?? []);
    },
  );
}

function encodeNode(w: Writer, n: OnnxNode): void {
  for (const s of n.input) w.string(1, s);
  for (const s of n.output) w.string(2, s);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attribute ?? [])
    within(
      () => `attribute ${q(a.name)}`,
      () => w.message(5, (s) => encodeAttribute(s, a)),
    );
  if (n.domain) w.string(7, n.domain);
}

function encodeAttribute(w: Writer, a: OnnxAttribute): void {
  w.string(1, a.name);
  if (a.f !== undefined) w.float(2, a.f);
  if (a.i !== undefined) w.int64(3, a.i);
  if (a.s !== undefined) w.string(4, a.s);
  if (a.t !== undefined) {
    const t = a.t;
    w.message(5, (s) => encodeTensor(s, t));
  }
  // AttributeProto's lists are proto2 fields without [packed=true]: written unpacked, as onnx's own writer does.
  if (a.floats !== undefined) w.repeatedFloat(7, a.floats);
  if (a.ints !== undefined) w.repeatedInt64(8, a.ints);
  if (a.strings !== undefined) for (const s of a.strings) w.string(9, s);
  w.int64(20, a.type);
}

/** What encodeModel cannot write back: the decoder kept a count or a kind, not the content. */
function cannotEncode(what: string): never {
  throw new SimdnetError(
    'UNSUPPORTED',
    `${what}; encodeModel cannot write it back (simdnet writes numeric tensors and tensor types only)`,
  );
}

function encodeTensor(w: Writer, t: OnnxTensor): void {
  if (t.stringCount !== undefined)
    cannotEncode(`holds ${t.stringCount} strings (string_data), which the decoder counted but did not keep`);
  w.repeatedInt64(1, t.dims);
  w.int64(2, t.dataType);
  if (t.floatData) w.packedFloat(4, t.floatData);
  if (t.int32Data) w.packedInt64(5, t.int32Data);
  if (t.int64Data) w.packedInt64(7, t.int64Data);
  if (t.name) w.string(8, t.name);
  if (t.rawData !== undefined) w.bytes(9, t.rawData);
  if (t.doubleData) w.packedDouble(10, t.doubleData);
}

function encodeValueInfo(w: Writer, v: OnnxValueInfo): void {
  if (v.kind !== undefined) cannotEncode(`has a ${v.kind} type, whose inner types the decoder did not keep`);
  w.string(1, v.name);
  if (!v.elemType && v.shape === undefined) return;
  w.message(2, (tp) =>
    tp.message(1, (tt) => {
      if (v.elemType) tt.int64(1, v.elemType);
      const shape = v.shape;
      if (shape !== undefined) {
        tt.message(2, (sh) => {
          for (const d of shape) {
            sh.message(1, (dm) => {
              if (d.value !== undefined) dm.int64(1, d.value);
              else if (d.param !== undefined) dm.string(2, d.param);
            });
          }
        });
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Tensors

const DTYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED',
  1: 'FLOAT',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  8: 'STRING',
  9: 'BOOL',
  10: 'FLOAT16',
  11: 'DOUBLE',
  12: 'UINT32',
  13: 'UINT64',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  16: 'BFLOAT16',
};

/** The name of a TensorProto.DataType value (e.g. 'FLOAT'). */
export function dataTypeName(type: number): string {
  return DTYPE_NAMES[type] ?? `data type ${type}`;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function tensorLabel(t: OnnxTensor): string {
  return t.name ? `tensor ${q(t.name)}` : 'tensor';
}

/** The element count of a tensor: the product of its dims, each a non-negative integer. */
export function tensorSize(t: OnnxTensor): number {
  let n = 1;
  for (const d of t.dims) {
    if (!Number.isSafeInteger(d) || d < 0)
      refuse(`${tensorLabel(t)} has an invalid dimension ${d} in dims [${t.dims.join(', ')}]`);
    n *= d;
  }
  if (!Number.isSafeInteger(n)) refuse(`${tensorLabel(t)} has too many elements (dims [${t.dims.join(', ')}])`);
  return n;
}

/**
 * Which storage holds the tensor's `count` elements: raw bytes (`bytesPer` each) or the typed list. Checks the
 * lengths against the dims before anything is allocated.
 */
function storage(
  t: OnnxTensor,
  bytesPer: number,
  typed: number[] | undefined,
  typedName: string,
): { count: number; raw?: DataView; typed?: number[] } {
  const count = tensorSize(t);
  const dims = `dims [${t.dims.join(', ')}]`;
  if (t.stringCount) refuse(`${tensorLabel(t)} is ${dataTypeName(t.dataType)} but holds strings (string_data)`);
  if (t.rawData !== undefined) {
    if (typed !== undefined && typed.length > 0) refuse(`${tensorLabel(t)} has both raw_data and ${typedName}`);
    if (t.rawData.length !== count * bytesPer) {
      refuse(
        `${tensorLabel(t)} has ${t.rawData.length} bytes of raw_data; its ${count} ${dataTypeName(t.dataType)} ` +
          `elements (${dims}) need ${count * bytesPer}`,
      );
    }
    return { count, raw: new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength) };
  }
  const n = typed?.length ?? 0;
  if (count === 0 && n === 0) return { count, typed: [] };
  if (n !== count) {
    refuse(
      n === 0
        ? `${tensorLabel(t)} holds no data for its ${count} elements (${dims})`
        : `${tensorLabel(t)} has ${n} values in ${typedName} but ${dims} make ${count}`,
    );
  }
  return { count, typed };
}

function wrongType(t: OnnxTensor, want: string): never {
  const strings = t.dataType === 8 ? ' (simdnet computes with numbers, not strings)' : '';
  throw new SimdnetError('DTYPE', `${tensorLabel(t)} is ${dataTypeName(t.dataType)}; expected ${want}${strings}`);
}

/** A FLOAT, DOUBLE, FLOAT16 or BFLOAT16 tensor's values as float32 (a fresh array), from raw_data or typed fields. */
export function tensorToFloat32(t: OnnxTensor): Float32Array {
  switch (t.dataType) {
    case DataType.FLOAT: {
      const s = storage(t, 4, t.floatData, 'float_data');
      if (s.typed) return Float32Array.from(s.typed);
      const raw = s.raw!;
      if (LITTLE_ENDIAN && raw.byteOffset % 4 === 0)
        return new Float32Array(raw.buffer, raw.byteOffset, s.count).slice();
      const out = new Float32Array(s.count);
      for (let i = 0; i < s.count; i++) out[i] = raw.getFloat32(i * 4, true);
      return out;
    }
    case DataType.DOUBLE: {
      const s = storage(t, 8, t.doubleData, 'double_data');
      if (s.typed) return Float32Array.from(s.typed);
      const out = new Float32Array(s.count);
      for (let i = 0; i < s.count; i++) out[i] = s.raw!.getFloat64(i * 8, true);
      return out;
    }
    case DataType.FLOAT16:
    case 16: {
      // float16 and bfloat16 are stored as their bits: 2 bytes each in raw_data, or one per int32_data value.
      const s = storage(t, 2, t.int32Data, 'int32_data');
      const out = new Float32Array(s.count);
      const bits = (i: number): number => (s.typed ? s.typed[i] & 0xffff : s.raw!.getUint16(i * 2, true));
      if (t.dataType === DataType.FLOAT16) for (let i = 0; i < s.count; i++) out[i] = halfToFloat(bits(i));
      else {
        const f = new Float32Array(1);
        const u = new Uint32Array(f.buffer);
        for (let i = 0; i < s.count; i++) {
          u[0] = bits(i) << 16;
          out[i] = f[0];
        }
      }
      return out;
    }
    default:
      return wrongType(t, 'FLOAT, DOUBLE, FLOAT16 or BFLOAT16');
  }
}

const INT_TYPES: Record<number, { bytes: number; min: number; max: number; typed: 'int32Data' | 'int64Data' }> = {
  [DataType.UINT8]: { bytes: 1, min: 0, max: 255, typed: 'int32Data' },
  [DataType.INT8]: { bytes: 1, min: -128, max: 127, typed: 'int32Data' },
  4: { bytes: 2, min: 0, max: 65535, typed: 'int32Data' },
  5: { bytes: 2, min: -32768, max: 32767, typed: 'int32Data' },
  [DataType.INT32]: { bytes: 4, min: -2147483648, max: 2147483647, typed: 'int32Data' },
  [DataType.INT64]: { bytes: 8, min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, typed: 'int64Data' },
  [DataType.BOOL]: { bytes: 1, min: 0, max: 1, typed: 'int32Data' },
  12: { bytes: 4, min: 0, max: 4294967295, typed: 'int32Data' },
};

/**
 * An integer tensor's values (INT64, INT32, INT16, UINT16, INT8, UINT8, BOOL, UINT32) as numbers, from raw_data
 * or the typed fields; an int64 beyond ±2^53 or a value outside its type's range is refused.
 */
export function tensorToNumbers(t: OnnxTensor): number[] {
  const k = INT_TYPES[t.dataType];
  if (k === undefined) return wrongType(t, 'an integer type (INT64, INT32, INT16, UINT16, INT8, UINT8, BOOL, UINT32)');
  const typedName = k.typed === 'int64Data' ? 'int64_data' : 'int32_data';
  const s = storage(t, k.bytes, t[k.typed], typedName);
  if (s.typed) {
    for (let i = 0; i < s.count; i++) {
      const v = s.typed[i];
      if (v < k.min || v > k.max) refuse(`${tensorLabel(t)} element ${i} is ${v}, outside ${dataTypeName(t.dataType)}`);
    }
    return s.typed.slice();
  }
  const raw = s.raw!;
  const out = new Array<number>(s.count);
  for (let i = 0; i < s.count; i++) {
    switch (t.dataType) {
      case DataType.UINT8:
        out[i] = raw.getUint8(i);
        break;
      case DataType.INT8:
        out[i] = raw.getInt8(i);
        break;
      case DataType.BOOL: {
        const b = raw.getUint8(i);
        if (b > 1) refuse(`${tensorLabel(t)} element ${i} is ${b}, not a BOOL (0 or 1)`);
        out[i] = b;
        break;
      }
      case 4:
        out[i] = raw.getUint16(i * 2, true);
        break;
      case 5:
        out[i] = raw.getInt16(i * 2, true);
        break;
      case DataType.INT32:
        out[i] = raw.getInt32(i * 4, true);
        break;
      case 12:
        out[i] = raw.getUint32(i * 4, true);
        break;
      default: {
        const v = raw.getInt32(i * 8 + 4, true) * 4294967296 + raw.getUint32(i * 8, true);
        if (!Number.isSafeInteger(v)) {
          refuse(`${tensorLabel(t)} element ${i} is an int64 beyond ±2^53, which simdnet cannot represent exactly`);
        }
        out[i] = v;
      }
    }
  }
  return out;
}

/** An INT8 tensor's values (a fresh array), from raw_data or int32_data. */
export function tensorToInt8(t: OnnxTensor): Int8Array {
  if (t.dataType !== DataType.INT8) return wrongType(t, 'INT8');
  const s = storage(t, 1, t.int32Data, 'int32_data');
  if (s.raw) return new Int8Array(s.raw.buffer.slice(s.raw.byteOffset, s.raw.byteOffset + s.count));
  return Int8Array.from(tensorToNumbers(t));
}

function checkDims(name: string, dims: number[], length: number): void {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new SimdnetError('SHAPE', `tensor ${q(name)}: invalid dimension ${d} in [${dims.join(', ')}]`);
    }
    n *= d;
  }
  if (n !== length) {
    throw new SimdnetError(
      'SHAPE',
      `tensor ${q(name)}: dims [${dims.join(', ')}] make ${n} elements but ${length} values were given`,
    );
  }
}

/** A FLOAT tensor holding `data` as little-endian raw_data (correct on any host). */
export function floatTensor(name: string, dims: number[], data: Float32Array | ArrayLike<number>): OnnxTensor {
  checkDims(name, dims, data.length);
  const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
  let raw: Uint8Array;
  if (LITTLE_ENDIAN) {
    raw = new Uint8Array(f32.byteLength);
    raw.set(new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength));
  } else {
    raw = new Uint8Array(f32.length * 4);
    const dv = new DataView(raw.buffer);
    for (let i = 0; i < f32.length; i++) dv.setFloat32(i * 4, f32[i], true);
  }
  return { name, dims: dims.slice(), dataType: DataType.FLOAT, rawData: raw };
}

function intRaw(name: string, dims: number[], values: ArrayLike<number>, dataType: number): OnnxTensor {
  checkDims(name, dims, values.length);
  const k = INT_TYPES[dataType];
  const raw = new Uint8Array(values.length * k.bytes);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < k.min || v > k.max) {
      throw new SimdnetError('RANGE', `tensor ${q(name)}: value ${v} at ${i} is not a ${dataTypeName(dataType)}`);
    }
    switch (k.bytes) {
      case 1:
        raw[i] = v & 0xff;
        break;
      case 4:
        dv.setInt32(i * 4, v, true);
        break;
      default: {
        const hi = Math.floor(v / 4294967296);
        dv.setUint32(i * 8, v - hi * 4294967296, true);
        dv.setInt32(i * 8 + 4, hi, true);
      }
    }
  }
  return { name, dims: dims.slice(), dataType, rawData: raw };
}

/** An INT64 tensor (raw_data, little-endian); values must be integers within ±2^53. */
export function int64Tensor(name: string, dims: number[], values: ArrayLike<number>): OnnxTensor {
  return intRaw(name, dims, values, DataType.INT64);
}

/** An INT32 tensor (raw_data, little-endian). */
export function int32Tensor(name: string, dims: number[], values: ArrayLike<number>): OnnxTensor {
  return intRaw(name, dims, values, DataType.INT32);
}

/** An INT8 tensor (raw_data). */
export function int8Tensor(name: string, dims: number[], values: ArrayLike<number>): OnnxTensor {
  return intRaw(name, dims, values, DataType.INT8);
}

/** A UINT8 tensor (raw_data). */
export function uint8Tensor(name: string, dims: number[], values: ArrayLike<number>): OnnxTensor {
  return intRaw(name, dims, values, DataType.UINT8);
}

// ---------------------------------------------------------------------------------------------------------------
// Attributes and nodes

/**
 * A value for `attribute` / `makeNode`: an integer number → INT, any other number → FLOAT, a string → STRING,
 * a number[] of integers → INTS, a string[] → STRINGS; wrappers say the type explicitly where the value alone
 * cannot: `{ f: 1 }` (a FLOAT that happens to be whole, e.g. Gemm's alpha), `{ floats: [...] }`, `{ ints: [] }`,
 * `{ t: tensor }`.
 */
export type AttrValue =
  | number
  | string
  | number[]
  | string[]
  | { f: number }
  | { floats: ArrayLike<number> }
  | { ints: ArrayLike<number> }
  | { strings: string[] }
  | { t: OnnxTensor };

/** A typed AttributeProto from a plain value (see AttrValue). */
export function attribute(name: string, value: AttrValue): OnnxAttribute {
  const bad = (why: string): never => {
    throw new SimdnetError('RANGE', `attribute ${q(name)}: ${why}`);
  };
  if (typeof value === 'number') {
    if (Number.isInteger(value)) {
      if (!Number.isSafeInteger(value)) bad(`${value} is beyond ±2^53`);
      return { name, type: AttrType.INT, i: value };
    }
    return { name, type: AttrType.FLOAT, f: value };
  }
  if (typeof value === 'string') return { name, type: AttrType.STRING, s: value };
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) {
      if (value.length > 0) return { name, type: AttrType.STRINGS, strings: (value as string[]).slice() };
      return { name, type: AttrType.INTS, ints: [] };
    }
    const nums = value as number[];
    if (!nums.every((v) => typeof v === 'number' && Number.isSafeInteger(v))) {
      bad(`[${nums.join(', ')}] is not a list of integers (INTS); write { floats: [...] } for a FLOATS attribute`);
    }
    return { name, type: AttrType.INTS, ints: nums.slice() };
  }
  if (value !== null && typeof value === 'object') {
    if ('f' in value) return { name, type: AttrType.FLOAT, f: value.f };
    if ('floats' in value) return { name, type: AttrType.FLOATS, floats: Array.from(value.floats) };
    if ('ints' in value) {
      const ints = Array.from(value.ints);
      if (!ints.every((v) => Number.isSafeInteger(v))) bad(`[${ints.join(', ')}] is not a list of integers`);
      return { name, type: AttrType.INTS, ints };
    }
    if ('strings' in value) return { name, type: AttrType.STRINGS, strings: value.strings.slice() };
    if ('t' in value) return { name, type: AttrType.TENSOR, t: value.t };
  }
  return bad(`cannot make an attribute from ${JSON.stringify(value)}`);
}

/** A NodeProto; `attrs` values become typed attributes (see AttrValue). */
export function makeNode(
  opType: string,
  inputs: string[],
  outputs: string[],
  name: string,
  attrs: Record<string, AttrValue> = {},
  domain = '',
): OnnxNode {
  return {
    name,
    opType,
    domain,
    input: inputs.slice(),
    output: outputs.slice(),
    attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
  };
}

/** A tensor ValueInfoProto: dims are sizes, symbolic names ('N' for a dynamic batch) or null (unknown). */
export function valueInfo(name: string, elemType: number, shape?: Array<number | string | null>): OnnxValueInfo {
  const v: OnnxValueInfo = { name, elemType };
  if (shape !== undefined) {
    v.shape = shape.map((d) => (typeof d === 'number' ? { value: d } : typeof d === 'string' ? { param: d } : {}));
  }
  return v;
}
