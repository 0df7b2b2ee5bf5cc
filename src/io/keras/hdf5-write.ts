/**
 * A minimal HDF5 writer: groups and numeric datasets, laid out as h5py writes them by default
 * (superblock version 0, version-1 object headers, symbol-table groups, contiguous datasets), so
 * h5py, and through it Keras, reads the result. It writes exactly what `model.weights.h5` needs:
 * no attributes, no strings, no compression.
 *
 * Layout: the superblock, then each group after its children (post-order), every structure
 * 8-byte aligned. A group is an object header holding one symbol-table message, a local heap of
 * its children's names, one version-1 B-tree node pointing at one symbol-table node that lists
 * the children sorted by name (HDF5 finds a name by binary search). The superblock's "group leaf
 * node K" is chosen so that one symbol-table node holds the largest group (2K entries).
 */
import type { H5Data, H5DType } from './hdf5-read.js';

/** The dtype of a typed array this writer accepts, or undefined. */
export function h5DTypeOf(data: unknown): H5DType | undefined {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint32Array) return 'uint32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof BigUint64Array) return 'uint64';
  return undefined;
}

interface Node { children: Map<string, Node | { shape: number[]; data: H5Data }> }

const INTERNAL_K = 16;
const UNDEF = -1;
const NAME = /^[^/\0]+$/;

/**
 * HDF5 bytes holding each dataset at its '/'-separated path (groups made as needed), e.g.
 * `'layers/lstm/cell/vars/0'`. Shapes must match the data's length; names may not be '.' or
 * contain NUL; a path may not be both a dataset and a group.
 */
export function writeHdf5(datasets: Iterable<[string, { shape: readonly number[]; data: H5Data }]>): Uint8Array {
  const root: Node = { children: new Map() };
  for (const [path, value] of datasets) {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError(`writeHdf5: expected a non-empty dataset path, got ${JSON.stringify(path)}`);
    const parts = path.split('/');
    if (parts.some((p) => !NAME.test(p) || p === '.' || p === '..')) {
      throw new RangeError(`writeHdf5: dataset path '${path}' has an empty, '.', '..' or NUL-holding part`);
    }
    const dtype = h5DTypeOf(value?.data);
    if (!dtype) throw new TypeError(`writeHdf5: dataset '${path}': expected its data as a typed array, got ${value === null || typeof value !== 'object' ? typeof value : value.data?.constructor?.name}`);
    const shape = Array.from(value.shape ?? []);
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new RangeError(`writeHdf5: dataset '${path}': expected a shape of non-negative integers, got [${shape}]`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== value.data.length) throw new RangeError(`writeHdf5: dataset '${path}': shape [${shape}] holds ${count} values, its data has ${value.data.length}`);
    let node = root;
    for (let i = 0; i < parts.length - 1; i++) {
      let next = node.children.get(parts[i]);
      if (next === undefined) node.children.set(parts[i], (next = { children: new Map() }));
      if (!('children' in next)) throw new RangeError(`writeHdf5: '${parts.slice(0, i + 1).join('/')}' is a dataset and also a group in '${path}'`);
      node = next;
    }
    const last = parts[parts.length - 1];
    if (node.children.has(last)) throw new RangeError(`writeHdf5: dataset path '${path}' is given twice, or is also a group`);
    node.children.set(last, { shape, data: value.data });
  }
  return new Writer(root).bytes();
}

class Writer {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private readonly leafK: number;

  constructor(private readonly root: Node) {
    let most = 0;
    const visit = (n: Node): void => {
      most = Math.max(most, n.children.size);
      for (const c of n.children.values()) if ('children' in c) visit(c);
    };
    visit(root);
    this.leafK = Math.max(4, Math.ceil(most / 2));
    if (this.leafK > 0xffff) throw new RangeError(`writeHdf5: a group of ${most} children is more than this writer supports (${2 * 0xffff})`);
  }

  private append(bytes: Uint8Array): number {
    const at = this.size;
    this.chunks.push(bytes);
    this.size += bytes.length;
    const pad = (8 - (this.size % 8)) % 8;
    if (pad) { this.chunks.push(new Uint8Array(pad)); this.size += pad; }
    return at;
  }

  bytes(): Uint8Array {
    const superblock = new Uint8Array(96);
    this.append(superblock);
    const { header, btree, heap } = this.group(this.root);
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) { out.set(c, at); at += c.length; }
    const b = new Buf(superblock);
    b.bytes([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
    b.bytes([0, 0, 0, 0, 0, 8, 8, 0]); // versions: superblock, free space, root symbol table, reserved, shared header; sizes of offsets and lengths
    b.u16(this.leafK); b.u16(INTERNAL_K); b.u32(0);
    b.u64(0); b.u64(UNDEF); b.u64(this.size); b.u64(UNDEF); // base, free-space info, end of file, driver info
    b.u64(0); b.u64(header); b.u32(1); b.u32(0); b.u64(btree); b.u64(heap); // root symbol table entry (cached)
    out.set(superblock, 0);
    return out;
  }

  private group(node: Node): { header: number; btree: number; heap: number } {
    const names = [...node.children.keys()].sort(compareNames);
    const addresses = names.map((name) => {
      const child = node.children.get(name)!;
      return 'children' in child ? this.group(child).header : this.dataset(child);
    });
    // Local heap: offset 0 holds the empty string, then each name NUL-terminated, 8-aligned.
    const encoded = names.map((n) => new TextEncoder().encode(n));
    const offsets: number[] = [];
    let heapSize = 8;
    for (const e of encoded) { offsets.push(heapSize); heapSize += (e.length + 1 + 7) & ~7; }
    const heapData = new Uint8Array(heapSize);
    encoded.forEach((e, i) => heapData.set(e, offsets[i]));
    const heapDataAt = this.append(heapData);
    const heapHeader = new Buf(new Uint8Array(32));
    heapHeader.ascii('HEAP'); heapHeader.bytes([0, 0, 0, 0]); heapHeader.u64(heapSize); heapHeader.u64(1); heapHeader.u64(heapDataAt); // free list 1: none (H5HL_FREE_NULL)
    const heap = this.append(heapHeader.data);
    // One symbol-table node with every child (2K entries of 40 bytes reserved, as HDF5 reads them).
    let snod = UNDEF;
    if (names.length > 0) {
      const s = new Buf(new Uint8Array(8 + 2 * this.leafK * 40));
      s.ascii('SNOD'); s.bytes([1, 0]); s.u16(names.length);
      names.forEach((_, i) => { s.u64(offsets[i]); s.u64(addresses[i]); s.u32(0); s.u32(0); s.skip(16); });
      snod = this.append(s.data);
    }
    const t = new Buf(new Uint8Array(24 + (2 * INTERNAL_K + 1) * 8 + 2 * INTERNAL_K * 8));
    t.ascii('TREE'); t.bytes([0, 0]); t.u16(names.length > 0 ? 1 : 0); t.u64(UNDEF); t.u64(UNDEF);
    t.u64(0);
    if (names.length > 0) { t.u64(snod); t.u64(offsets[offsets.length - 1]); }
    const btree = this.append(t.data);
    const table = new Buf(new Uint8Array(16));
    table.u64(btree); table.u64(heap);
    const header = this.objectHeader([[0x11, table.data]]);
    return { header, btree, heap };
  }

  private dataset(d: { shape: number[]; data: H5Data }): number {
    const dtype = h5DTypeOf(d.data)!;
    const width = d.data.BYTES_PER_ELEMENT;
    const raw = new Uint8Array(d.data.length * width);
    const v = new DataView(raw.buffer);
    const data = d.data;
    for (let i = 0; i < data.length; i++) {
      switch (dtype) {
        case 'float32': v.setFloat32(4 * i, data[i] as number, true); break;
        case 'float64': v.setFloat64(8 * i, data[i] as number, true); break;
        case 'int8': v.setInt8(i, data[i] as number); break;
        case 'uint8': v.setUint8(i, data[i] as number); break;
        case 'int16': v.setInt16(2 * i, data[i] as number, true); break;
        case 'uint16': v.setUint16(2 * i, data[i] as number, true); break;
        case 'int32': v.setInt32(4 * i, data[i] as number, true); break;
        case 'uint32': v.setUint32(4 * i, data[i] as number, true); break;
        case 'int64': v.setBigInt64(8 * i, data[i] as bigint, true); break;
        case 'uint64': v.setBigUint64(8 * i, data[i] as bigint, true); break;
      }
    }
    const rawAt = raw.length > 0 ? this.append(raw) : UNDEF;
    const space = new Buf(new Uint8Array(8 + 8 * d.shape.length));
    space.bytes([1, d.shape.length, 0, 0, 0, 0, 0, 0]);
    for (const n of d.shape) space.u64(n);
    const type = datatype(dtype, width);
    const fill = new Uint8Array([2, 2, 2, 0]); // version 2, late allocation, write fill if set, none defined
    const layout = new Buf(new Uint8Array(18));
    layout.bytes([3, 1]); layout.u64(rawAt); layout.u64(raw.length);
    return this.objectHeader([[0x01, space.data], [0x03, type], [0x05, fill], [0x08, layout.data]]);
  }

  /** A version-1 object header: a 16-byte prefix, then messages padded to 8 bytes. */
  private objectHeader(messages: Array<[number, Uint8Array]>): number {
    const padded = messages.map(([, m]) => (m.length + 7) & ~7);
    const body = padded.reduce((a, n) => a + 8 + n, 0);
    const h = new Buf(new Uint8Array(16 + body));
    h.bytes([1, 0]); h.u16(messages.length); h.u32(1); h.u32(body); h.u32(0);
    messages.forEach(([type, m], i) => {
      h.u16(type); h.u16(padded[i]); h.bytes([type === 0x03 || type === 0x05 ? 1 : 0, 0, 0, 0]); // datatype and fill value are constant
      h.data.set(m, h.at); h.skip(padded[i]);
    });
    return this.append(h.data);
  }
}

/** The datatype message: IEEE little-endian floats, little-endian two's-complement integers. */
function datatype(dtype: H5DType, width: number): Uint8Array {
  if (dtype === 'float32' || dtype === 'float64') {
    const b = new Buf(new Uint8Array(20));
    const f32 = dtype === 'float32';
    b.bytes([0x11, 0x20, f32 ? 31 : 63, 0]); b.u32(width);
    b.u16(0); b.u16(f32 ? 32 : 64); b.bytes(f32 ? [23, 8, 0, 23] : [52, 11, 0, 52]); b.u32(f32 ? 127 : 1023);
    return b.data;
  }
  const b = new Buf(new Uint8Array(12));
  b.bytes([0x10, dtype.startsWith('u') ? 0 : 0x08, 0, 0]); b.u32(width); b.u16(0); b.u16(width * 8);
  return b.data;
}

/** HDF5 orders a group's names by their bytes (strcmp). */
function compareNames(a: string, b: string): number {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

class Buf {
  at = 0;
  private readonly view: DataView;
  constructor(readonly data: Uint8Array) { this.view = new DataView(data.buffer, data.byteOffset, data.byteLength); }
  bytes(values: ArrayLike<number>): void { this.data.set(values, this.at); this.at += values.length; }
  ascii(text: string): void { for (let i = 0; i < text.length; i++) this.data[this.at++] = text.charCodeAt(i); }
  u16(v: number): void { this.view.setUint16(this.at, v, true); this.at += 2; }
  u32(v: number): void { this.view.setUint32(this.at, v, true); this.at += 4; }
  /** 8 bytes; -1 writes the undefined address (all ones). */
  u64(v: number): void {
    if (v === UNDEF) { this.view.setUint32(this.at, 0xffffffff, true); this.view.setUint32(this.at + 4, 0xffffffff, true); }
    else { this.view.setUint32(this.at, v % 2 ** 32, true); this.view.setUint32(this.at + 4, Math.floor(v / 2 ** 32), true); }
    this.at += 8;
  }
  skip(n: number): void { this.at += n; }
}
