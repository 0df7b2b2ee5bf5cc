/**
 * A minimal HDF5 reader for the files Keras writes through h5py with its default settings
 * (`libver='earliest'`): superblock version 0 or 1, version-1 object headers, groups as symbol
 * tables (a version-1 B-tree of symbol-table nodes, names in a local heap), datasets stored
 * contiguously or compactly (no chunks, no filters), numeric datatypes (integers of 1, 2, 4 and 8
 * bytes, IEEE floats of 4 and 8), and attributes holding numbers or strings (fixed-length, or
 * variable-length in a global heap). Anything else is refused by name.
 *
 * Files are untrusted: every read is checked against the bytes, a dataset's shape × element size is
 * checked against its stored size and the file before anything is allocated, recursion is bounded
 * and every structure is visited at most once, so a truncated or malformed file gives an Error
 * naming the object's path, never a hang or a huge allocation.
 *
 * Format reference: "HDF5 File Format Specification Version 3.0" (The HDF Group), sections II
 * (superblock), III.A.1 (v1 B-trees), III.C (symbol table nodes), III.D (local heaps), III.E
 * (global heaps), IV.A.1.a (v1 object headers) and IV.A.2 (header messages).
 */
export type H5DType =
  | 'float32' | 'float64'
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64';

export type H5Data =
  | Float32Array | Float64Array
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array;

/** An attribute's value: a scalar, or the flat values of an array attribute (row-major). */
export type H5AttributeValue = string | number | bigint | Array<string | number | bigint>;

export interface H5Dataset {
  kind: 'dataset';
  shape: number[];
  dtype: H5DType;
  /** Row-major values in the machine's own order (converted from the file's byte order). */
  data: H5Data;
  attributes: Map<string, H5AttributeValue>;
}

export interface H5Group {
  kind: 'group';
  /** Children by name, in the file's (sorted) order. */
  children: Map<string, H5Group | H5Dataset>;
  attributes: Map<string, H5AttributeValue>;
}

/**
 * Bounds of the walk: deeper nesting, more objects, more header messages or longer names are
 * refused. Besides these, the bytes the reader visits (object header blocks, dataset data, heap
 * collections, strings) may add up to at most twice the file's size plus 1 MB: in a sound file
 * these structures do not overlap, so more means structures pointing at each other's bytes, the
 * way a crafted file would make a small file cost gigabytes.
 */
export const HDF5_LIMITS = Object.freeze({ depth: 64, objects: 100_000, messagesPerObject: 10_000, nameBytes: 4096 });

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const UNDEFINED = -1;
/** Names and strings as UTF-8; a malformed sequence becomes U+FFFD rather than an error. */
const UTF8 = new TextDecoder();

/** Reads a whole HDF5 file into groups, datasets and attributes. `fileName` names it in errors. */
export function readHdf5(bytes: Uint8Array, fileName = 'HDF5 file'): H5Group {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`${fileName}: expected the file's bytes as a Uint8Array, got ${describe(bytes)}`);
  }
  return new Reader(bytes, fileName).root();
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return typeof value;
}

interface Datatype {
  kind: 'number' | 'string' | 'vlen-string';
  dtype?: H5DType;
  size: number;
  littleEndian: boolean;
}

interface Dataspace { shape: number[]; count: number; isNull: boolean }

interface Message { type: number; flags: number; start: number; size: number }

class Reader {
  private readonly view: DataView;
  private offsetSize = 8;
  private lengthSize = 8;
  private leafK = 4;
  private internalK = 16;
  private objects = 0;
  private work = 0;
  private readonly workLimit: number;
  private readonly visitedHeaders = new Set<number>();
  private readonly globalHeaps = new Map<number, Map<number, { start: number; size: number }>>();

  constructor(private readonly bytes: Uint8Array, private readonly fileName: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.workLimit = 2 * bytes.length + 2 ** 20;
  }

  /** Counts bytes visited against the budget (see HDF5_LIMITS). */
  private spend(bytes: number, where: string): void {
    this.work += bytes;
    if (this.work > this.workLimit) {
      this.fail(where, `the file's structures reference more bytes than it holds (over ${this.workLimit} for ${this.bytes.length}): they overlap, so the file is corrupt or crafted`);
    }
  }

  fail(where: string, what: string): never {
    throw new Error(`${this.fileName}: ${where ? `'${where}': ` : ''}${what}`);
  }

  private need(at: number, length: number, where: string, what: string): void {
    if (!Number.isSafeInteger(at) || at < 0 || length < 0 || at + length > this.bytes.length) {
      this.fail(where, `${what} at byte ${at} (${length} bytes) lies beyond the file's ${this.bytes.length} bytes (truncated or corrupt)`);
    }
  }

  private u8(at: number, where: string, what: string): number {
    this.need(at, 1, where, what);
    return this.bytes[at];
  }

  private u16(at: number, where: string, what: string): number {
    this.need(at, 2, where, what);
    return this.view.getUint16(at, true);
  }

  private u32(at: number, where: string, what: string): number {
    this.need(at, 4, where, what);
    return this.view.getUint32(at, true);
  }

  /** An unsigned integer of 1, 2, 4 or 8 bytes; all ones is UNDEFINED; above 2^53 is refused. */
  private uint(at: number, size: number, where: string, what: string): number {
    this.need(at, size, where, what);
    if (size === 1) return this.bytes[at];
    if (size === 2) return this.view.getUint16(at, true);
    if (size === 4) {
      const v = this.view.getUint32(at, true);
      return v === 0xffffffff ? UNDEFINED : v;
    }
    const lo = this.view.getUint32(at, true);
    const hi = this.view.getUint32(at + 4, true);
    if (lo === 0xffffffff && hi === 0xffffffff) return UNDEFINED;
    if (hi >= 0x200000) this.fail(where, `${what} is ${hi * 2 ** 32 + lo}, far beyond the file's ${this.bytes.length} bytes`);
    return hi * 2 ** 32 + lo;
  }

  private offset(at: number, where: string, what: string): number {
    return this.uint(at, this.offsetSize, where, what);
  }

  private length(at: number, where: string, what: string): number {
    return this.uint(at, this.lengthSize, where, what);
  }

  private signature(at: number, text: string, where: string, what: string): void {
    this.need(at, 4, where, what);
    for (let i = 0; i < 4; i++) {
      if (this.bytes[at + i] !== text.charCodeAt(i)) {
        this.fail(where, `expected the ${what} signature '${text}' at byte ${at}, found other bytes (corrupt file)`);
      }
    }
  }

  root(): H5Group {
    const b = this.bytes;
    if (b.length < SIGNATURE.length || SIGNATURE.some((v, i) => b[i] !== v)) {
      this.fail('', `not an HDF5 file (its first 8 bytes are not the HDF5 signature; got ${b.length} bytes)`);
    }
    const version = this.u8(8, '', 'superblock version');
    if (version !== 0 && version !== 1) {
      this.fail('', `HDF5 superblock version ${version} is not supported (lstm-ts reads versions 0 and 1, as h5py writes by default, which is how Keras writes)`);
    }
    this.offsetSize = this.u8(13, '', 'size of offsets');
    this.lengthSize = this.u8(14, '', 'size of lengths');
    if (this.offsetSize !== 8 || this.lengthSize !== 8) {
      this.fail('', `offsets of ${this.offsetSize} bytes and lengths of ${this.lengthSize} bytes are not supported (expected 8 and 8)`);
    }
    this.leafK = this.u16(16, '', 'group leaf node K');
    this.internalK = this.u16(18, '', 'group internal node K');
    if (this.leafK === 0 || this.internalK === 0) this.fail('', 'the superblock gives a B-tree K of 0 (corrupt file)');
    let at = 24 + (version === 1 ? 4 : 0);
    const base = this.offset(at, '', 'base address');
    if (base !== 0) this.fail('', `a base address of ${base} is not supported (expected 0)`);
    const end = this.offset(at + 2 * this.offsetSize, '', 'end-of-file address');
    if (end === UNDEFINED || end > this.bytes.length) {
      this.fail('', `truncated: the superblock gives the file ${end === UNDEFINED ? 'an undefined' : `${end} bytes`}, got ${this.bytes.length}`);
    }
    at += 4 * this.offsetSize; // base, free-space info, end of file, driver info
    const rootHeader = this.offset(at + this.offsetSize, '', 'root group object header address');
    return this.group(rootHeader, '', 0);
  }

  /** The messages of a version-1 object header, continuation blocks followed. */
  private messages(address: number, where: string): Message[] {
    if (address === UNDEFINED) this.fail(where, 'object header address is undefined');
    if (this.visitedHeaders.has(address)) this.fail(where, `object header at byte ${address} is reached twice (a cycle or a hard link, not supported)`);
    this.visitedHeaders.add(address);
    const version = this.u8(address, where, 'object header version');
    if (version !== 1) {
      this.fail(where, `object header version ${version} at byte ${address} is not supported (lstm-ts reads version 1, as h5py writes by default)`);
    }
    const count = this.u16(address + 2, where, 'object header message count');
    if (count > HDF5_LIMITS.messagesPerObject) this.fail(where, `object header declares ${count} messages, more than ${HDF5_LIMITS.messagesPerObject}`);
    const blocks: Array<[number, number]> = [[address + 16, this.u32(address + 8, where, 'object header size')]];
    const seenBlocks = new Set<number>();
    const out: Message[] = [];
    while (blocks.length > 0) {
      const [start, size] = blocks.shift()!;
      if (seenBlocks.has(start)) this.fail(where, `object header continuation at byte ${start} is reached twice`);
      seenBlocks.add(start);
      this.need(start, size, where, 'object header block');
      this.spend(size, where);
      let at = start;
      while (at + 8 <= start + size) {
        if (out.length >= count) break;
        const type = this.u16(at, where, 'message type');
        const msize = this.u16(at + 2, where, 'message size');
        const flags = this.u8(at + 4, where, 'message flags');
        const data = at + 8;
        if (data + msize > start + size) this.fail(where, `header message of type ${type} at byte ${at} runs past its object header block`);
        out.push({ type, flags, start: data, size: msize });
        if (type === 0x10) {
          blocks.push([this.offset(data, where, 'continuation address'), this.length(data + 8, where, 'continuation length')]);
          if (seenBlocks.size + blocks.length > HDF5_LIMITS.messagesPerObject) this.fail(where, 'too many object header continuation blocks');
        }
        at = data + ((msize + 7) & ~7);
      }
    }
    return out;
  }

  private group(address: number, where: string, depth: number): H5Group {
    const node = this.object(address, where, depth);
    if (node.kind !== 'group') this.fail(where, 'the root object is not a group');
    return node;
  }

  private object(address: number, where: string, depth: number): H5Group | H5Dataset {
    if (depth > HDF5_LIMITS.depth) this.fail(where, `groups nested deeper than ${HDF5_LIMITS.depth}`);
    if (++this.objects > HDF5_LIMITS.objects) this.fail(where, `more than ${HDF5_LIMITS.objects} objects`);
    const msgs = this.messages(address, where);
    const table = msgs.find((m) => m.type === 0x11);
    if (!table) {
      if (msgs.some((m) => m.type === 0x02 || m.type === 0x06)) {
        this.fail(where, 'a group stored with link messages (HDF5 1.8+ "latest" format) is not supported (lstm-ts reads symbol-table groups, as h5py writes by default)');
      }
      return this.dataset(msgs, where);
    }
    const group: H5Group = { kind: 'group', children: new Map(), attributes: this.attributes(msgs, where) };
    const btree = this.offset(table.start, where, 'group B-tree address');
    const heap = this.offset(table.start + 8, where, 'group local heap address');
    const names = this.localHeap(heap, where);
    const entries: Array<{ name: string; header: number }> = [];
    this.btree(btree, names, where, entries, 0, new Set());
    for (const { name, header } of entries) {
      if (group.children.has(name)) this.fail(where, `child '${name}' appears twice`);
      const path = where ? `${where}/${name}` : name;
      group.children.set(name, this.object(header, path, depth + 1));
    }
    return group;
  }

  /** The local heap's data segment: names are NUL-terminated strings at offsets into it. */
  private localHeap(address: number, where: string): { start: number; size: number } {
    this.signature(address, 'HEAP', where, 'local heap');
    const size = this.length(address + 8, where, 'local heap size');
    const start = this.offset(address + 24, where, 'local heap data address');
    this.need(start, size, where, 'local heap data');
    return { start, size };
  }

  private heapString(heap: { start: number; size: number }, offset: number, where: string): string {
    if (offset < 0 || offset >= heap.size) this.fail(where, `link name offset ${offset} lies outside the local heap's ${heap.size} bytes`);
    let end = heap.start + offset;
    const limit = Math.min(heap.start + heap.size, end + HDF5_LIMITS.nameBytes + 1);
    while (end < limit && this.bytes[end] !== 0) end++;
    if (end === limit) this.fail(where, `a link name in the local heap is not NUL-terminated within ${HDF5_LIMITS.nameBytes} bytes`);
    this.spend(end - heap.start - offset, where);
    return UTF8.decode(this.bytes.subarray(heap.start + offset, end));
  }

  private btree(address: number, heap: { start: number; size: number }, where: string,
    out: Array<{ name: string; header: number }>, level: number, seen: Set<number>): void {
    if (level > HDF5_LIMITS.depth) this.fail(where, `group B-tree deeper than ${HDF5_LIMITS.depth}`);
    if (seen.has(address)) this.fail(where, `group B-tree node at byte ${address} is reached twice`);
    seen.add(address);
    this.signature(address, 'TREE', where, 'group B-tree node');
    const type = this.u8(address + 4, where, 'B-tree node type');
    if (type !== 0) this.fail(where, `group B-tree node of type ${type} (expected 0, group nodes)`);
    const nodeLevel = this.u8(address + 5, where, 'B-tree node level');
    const used = this.u16(address + 6, where, 'B-tree entries used');
    if (used > 2 * this.internalK) this.fail(where, `group B-tree node holds ${used} entries, more than 2K = ${2 * this.internalK}`);
    let at = address + 8 + 2 * this.offsetSize + this.lengthSize; // skip siblings and key 0
    for (let i = 0; i < used; i++) {
      const child = this.offset(at, where, 'B-tree child address');
      at += this.offsetSize + this.lengthSize;
      if (nodeLevel > 0) this.btree(child, heap, where, out, level + 1, seen);
      else this.symbolNode(child, heap, where, out, seen);
    }
  }

  private symbolNode(address: number, heap: { start: number; size: number }, where: string,
    out: Array<{ name: string; header: number }>, seen: Set<number>): void {
    if (seen.has(address)) this.fail(where, `symbol table node at byte ${address} is reached twice`);
    seen.add(address);
    this.signature(address, 'SNOD', where, 'symbol table node');
    const count = this.u16(address + 6, where, 'symbol count');
    if (count > 2 * this.leafK) this.fail(where, `symbol table node holds ${count} entries, more than 2K = ${2 * this.leafK}`);
    this.need(address + 8, count * 40, where, 'symbol table entries');
    for (let i = 0; i < count; i++) {
      const entry = address + 8 + i * 40;
      const name = this.heapString(heap, this.offset(entry, where, 'link name offset'), where);
      if (out.length >= HDF5_LIMITS.objects) this.fail(where, `more than ${HDF5_LIMITS.objects} children`);
      out.push({ name, header: this.offset(entry + 8, where, 'object header address') });
    }
  }

  private dataset(msgs: Message[], where: string): H5Dataset {
    const find = (type: number, what: string): Message => {
      const m = msgs.find((x) => x.type === type);
      if (!m) this.fail(where, `dataset has no ${what} message (corrupt file, or not a dataset)`);
      if (m.flags & 0x02) this.fail(where, `a shared ${what} message is not supported`);
      return m;
    };
    const space = this.dataspace(find(0x01, 'dataspace'), where);
    const type = this.datatype(find(0x03, 'datatype'), where);
    if (msgs.some((m) => m.type === 0x0b)) this.fail(where, 'a filtered (compressed) dataset is not supported (Keras writes weights unfiltered)');
    if (type.kind !== 'number') this.fail(where, 'a string dataset is not supported (expected numbers)');
    const layout = this.layout(find(0x08, 'data layout'), where);
    const bytesNeeded = space.count * type.size;
    if (layout.address === UNDEFINED) {
      if (bytesNeeded !== 0) this.fail(where, `dataset of shape [${space.shape}] has no storage allocated (expected ${bytesNeeded} bytes)`);
    } else {
      if (layout.size < bytesNeeded) {
        this.fail(where, `dataset of shape [${space.shape}] and dtype ${type.dtype} needs ${bytesNeeded} bytes, its storage holds ${layout.size}`);
      }
      this.need(layout.address, bytesNeeded, where, `data of shape [${space.shape}] and dtype ${type.dtype}`);
    }
    this.spend(bytesNeeded, where);
    const data = this.numbers(layout.address === UNDEFINED ? 0 : layout.address, space.count, type, where);
    return { kind: 'dataset', shape: space.shape, dtype: type.dtype!, data, attributes: this.attributes(msgs, where) };
  }

  /** Shape and element count; the count is checked against the file before it is used. */
  private dataspace(m: Message, where: string): Dataspace {
    const version = this.u8(m.start, where, 'dataspace version');
    const rank = this.u8(m.start + 1, where, 'dataspace rank');
    if (rank > 32) this.fail(where, `dataspace of rank ${rank} (at most 32)`);
    let at: number;
    let isNull = false;
    if (version === 1) at = m.start + 8;
    else if (version === 2) {
      const kind = this.u8(m.start + 3, where, 'dataspace type');
      if (kind > 2) this.fail(where, `dataspace type ${kind} is unknown`);
      isNull = kind === 2;
      at = m.start + 4;
    } else this.fail(where, `dataspace message version ${version} is not supported`);
    if (at + rank * this.lengthSize > m.start + m.size) this.fail(where, 'dataspace message is shorter than its rank needs');
    const shape: number[] = [];
    let count = 1;
    for (let i = 0; i < rank; i++) {
      const d = this.length(at + i * this.lengthSize, where, 'dataspace dimension');
      if (d === UNDEFINED) this.fail(where, 'dataspace dimension is undefined');
      shape.push(d);
      count *= d;
      // A count beyond the file's bytes cannot be stored in it: refuse before any allocation.
      if (count > this.bytes.length) this.fail(where, `declared shape [${shape}${i + 1 < rank ? ',...' : ''}] holds more values than the file's ${this.bytes.length} bytes can store`);
    }
    return { shape, count: isNull ? 0 : count, isNull };
  }

  private datatype(m: Message, where: string, depth = 0): Datatype {
    return this.datatypeAt(m.start, m.start + m.size, where, depth);
  }

  private datatypeAt(at: number, end: number, where: string, depth: number): Datatype {
    if (at + 8 > end) this.fail(where, 'datatype message is shorter than 8 bytes');
    const classVersion = this.u8(at, where, 'datatype class');
    const cls = classVersion & 0x0f;
    const bits = this.u8(at + 1, where, 'datatype bit field');
    const size = this.u32(at + 4, where, 'datatype size');
    const littleEndian = (bits & 1) === 0;
    if (cls === 0) {
      const signed = (bits & 0x08) !== 0;
      const dtype = ({ 1: 'int8', 2: 'int16', 4: 'int32', 8: 'int64' } as Record<number, H5DType>)[size];
      if (!dtype) this.fail(where, `integer of ${size} bytes is not supported (expected 1, 2, 4 or 8)`);
      return { kind: 'number', dtype: (signed ? dtype : `u${dtype}`) as H5DType, size, littleEndian };
    }
    if (cls === 1) {
      if (bits & 0x40) this.fail(where, 'VAX-order floats are not supported');
      if (size === 2) this.fail(where, 'float16 data is not supported (expected float32 or float64)');
      if (size !== 4 && size !== 8) this.fail(where, `float of ${size} bytes is not supported (expected 4 or 8)`);
      return { kind: 'number', dtype: size === 4 ? 'float32' : 'float64', size, littleEndian };
    }
    if (cls === 3) return { kind: 'string', size, littleEndian };
    if (cls === 9) {
      if ((bits & 0x0f) !== 1) this.fail(where, 'a variable-length sequence is not supported (only variable-length strings)');
      if (depth > 2) this.fail(where, 'datatype nested too deeply');
      return { kind: 'vlen-string', size: 4 + this.offsetSize + 4, littleEndian: true };
    }
    const names: Record<number, string> = { 2: 'time', 4: 'bitfield', 5: 'opaque', 6: 'compound', 7: 'reference', 8: 'enum (e.g. bool)', 10: 'array' };
    this.fail(where, `HDF5 datatype class ${cls}${names[cls] ? ` (${names[cls]})` : ''} is not supported`);
  }

  private layout(m: Message, where: string): { address: number; size: number } {
    const version = this.u8(m.start, where, 'layout version');
    if (version === 3) {
      const cls = this.u8(m.start + 1, where, 'layout class');
      if (cls === 0) {
        const size = this.u16(m.start + 2, where, 'compact data size');
        if (m.start + 4 + size > m.start + m.size) this.fail(where, 'compact data runs past its layout message');
        return { address: m.start + 4, size };
      }
      if (cls === 1) return { address: this.offset(m.start + 2, where, 'data address'), size: this.length(m.start + 10, where, 'data size') };
      if (cls === 2) this.fail(where, 'a chunked dataset is not supported (Keras writes weights contiguously)');
      this.fail(where, `layout class ${cls} is not supported`);
    }
    if (version === 1 || version === 2) {
      const cls = this.u8(m.start + 2, where, 'layout class');
      if (cls !== 1) this.fail(where, `layout version ${version} class ${cls} is not supported (only contiguous)`);
      const address = this.offset(m.start + 8, where, 'data address');
      return { address, size: address === UNDEFINED ? 0 : this.bytes.length - address };
    }
    this.fail(where, `layout message version ${version} is not supported`);
  }

  private numbers(at: number, count: number, type: Datatype, where: string): H5Data {
    const le = type.littleEndian;
    const v = this.view;
    switch (type.dtype) {
      case 'float32': { const o = new Float32Array(count); for (let i = 0; i < count; i++) o[i] = v.getFloat32(at + 4 * i, le); return o; }
      case 'float64': { const o = new Float64Array(count); for (let i = 0; i < count; i++) o[i] = v.getFloat64(at + 8 * i, le); return o; }
      case 'int8': { const o = new Int8Array(count); for (let i = 0; i < count; i++) o[i] = v.getInt8(at + i); return o; }
      case 'uint8': return this.bytes.slice(at, at + count);
      case 'int16': { const o = new Int16Array(count); for (let i = 0; i < count; i++) o[i] = v.getInt16(at + 2 * i, le); return o; }
      case 'uint16': { const o = new Uint16Array(count); for (let i = 0; i < count; i++) o[i] = v.getUint16(at + 2 * i, le); return o; }
      case 'int32': { const o = new Int32Array(count); for (let i = 0; i < count; i++) o[i] = v.getInt32(at + 4 * i, le); return o; }
      case 'uint32': { const o = new Uint32Array(count); for (let i = 0; i < count; i++) o[i] = v.getUint32(at + 4 * i, le); return o; }
      case 'int64': { const o = new BigInt64Array(count); for (let i = 0; i < count; i++) o[i] = v.getBigInt64(at + 8 * i, le); return o; }
      case 'uint64': { const o = new BigUint64Array(count); for (let i = 0; i < count; i++) o[i] = v.getBigUint64(at + 8 * i, le); return o; }
      default: this.fail(where, 'unknown numeric datatype');
    }
  }

  private attributes(msgs: Message[], where: string): Map<string, H5AttributeValue> {
    const out = new Map<string, H5AttributeValue>();
    for (const m of msgs) {
      if (m.type === 0x15) {
        const flags = this.u8(m.start + 1, where, 'attribute info flags');
        const dense = this.offset(m.start + 2 + (flags & 1 ? 2 : 0), where, 'dense attribute storage');
        if (dense !== UNDEFINED) this.fail(where, 'dense attribute storage (HDF5 1.8+) is not supported');
      }
      if (m.type !== 0x0c) continue;
      const [name, value] = this.attribute(m, where);
      out.set(name, value);
    }
    return out;
  }

  private attribute(m: Message, where: string): [string, H5AttributeValue] {
    const version = this.u8(m.start, where, 'attribute version');
    if (version < 1 || version > 3) this.fail(where, `attribute message version ${version} is not supported`);
    const flags = this.u8(m.start + 1, where, 'attribute flags');
    if (flags & 0x03) this.fail(where, 'an attribute with a shared datatype or dataspace is not supported');
    const nameSize = this.u16(m.start + 2, where, 'attribute name size');
    const typeSize = this.u16(m.start + 4, where, 'attribute datatype size');
    const spaceSize = this.u16(m.start + 6, where, 'attribute dataspace size');
    const pad = (n: number): number => (version === 1 ? (n + 7) & ~7 : n);
    let at = m.start + 8 + (version === 3 ? 1 : 0);
    const end = m.start + m.size;
    if (at + pad(nameSize) + pad(typeSize) + pad(spaceSize) > end) this.fail(where, 'attribute message is shorter than its parts');
    const nameBytes = this.bytes.subarray(at, at + Math.max(0, nameSize - 1));
    const name = UTF8.decode(nameBytes);
    const here = `${where || '/'}' attribute '${name}`;
    at += pad(nameSize);
    const type = this.datatypeAt(at, at + typeSize, here, 0);
    at += pad(typeSize);
    const space = this.dataspace({ type: 1, flags: 0, start: at, size: spaceSize }, here);
    at += pad(spaceSize);
    const total = space.count * type.size;
    if (at + total > end) this.fail(here, `attribute of shape [${space.shape}] needs ${total} bytes, its message holds ${end - at}`);
    const values: Array<string | number | bigint> = [];
    for (let i = 0; i < space.count; i++) {
      const p = at + i * type.size;
      if (type.kind === 'string') values.push(this.fixedString(p, type.size));
      else if (type.kind === 'vlen-string') values.push(this.vlenString(p, here));
      else {
        const one = this.numbers(p, 1, type, here);
        values.push(one[0]);
      }
    }
    return [name, space.shape.length === 0 && !space.isNull ? values[0] : values];
  }

  private fixedString(at: number, size: number): string {
    let end = at;
    while (end < at + size && this.bytes[end] !== 0) end++;
    return UTF8.decode(this.bytes.subarray(at, end)).replace(/ +$/, '');
  }

  private vlenString(at: number, where: string): string {
    const length = this.u32(at, where, 'variable-length string length');
    const heap = this.offset(at + 4, where, 'global heap address');
    const index = this.u32(at + 4 + this.offsetSize, where, 'global heap object index');
    if (length === 0 && heap === 0) return '';
    const objects = this.globalHeap(heap, where);
    const obj = objects.get(index);
    if (!obj) this.fail(where, `global heap object ${index} does not exist`);
    if (length > obj.size) this.fail(where, `string of ${length} bytes is longer than its heap object (${obj.size} bytes)`);
    this.spend(length, where);
    return UTF8.decode(this.bytes.subarray(obj.start, obj.start + length));
  }

  private globalHeap(address: number, where: string): Map<number, { start: number; size: number }> {
    const cached = this.globalHeaps.get(address);
    if (cached) return cached;
    this.signature(address, 'GCOL', where, 'global heap');
    const size = this.length(address + 8, where, 'global heap size');
    this.need(address, size, where, 'global heap collection');
    this.spend(size, where);
    const objects = new Map<number, { start: number; size: number }>();
    const end = address + size;
    let at = address + 16;
    while (at + 16 <= end) {
      const index = this.u16(at, where, 'global heap object index');
      const osize = this.length(at + 8, where, 'global heap object size');
      if (index === 0) break; // free space: the rest of the collection
      if (osize > end - at - 16) this.fail(where, `global heap object ${index} of ${osize} bytes runs past its collection`);
      objects.set(index, { start: at + 16, size: osize });
      at += 16 + ((osize + 7) & ~7);
    }
    this.globalHeaps.set(address, objects);
    return objects;
  }
}
