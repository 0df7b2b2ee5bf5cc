/**
 * The zip container of a `.keras` file: the central directory read and checked by lstm-ts, entries
 * stored (method 0, as Keras writes them) or deflated (method 8, inflated by fflate into a buffer of
 * exactly the declared size). Writing stores every entry uncompressed, as Keras does.
 *
 * Untrusted input: the central directory must lie inside the bytes, every entry's data must lie
 * inside the bytes, a declared uncompressed size is checked against the compressed size (stored:
 * equal; deflated: at most 1032 times, DEFLATE's largest ratio) before any buffer is allocated, and
 * each entry's CRC-32 is checked. Zip64, encryption, multi-disk archives and other methods are
 * refused by name.
 */
import { inflateSync } from 'fflate';
import { crc32 } from '../../tensor/bytes.js';

export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  size: number;
  crc: number;
  /** Offset of the entry's compressed data in the archive. */
  dataOffset: number;
}

const MAX_ENTRIES = 65_535;
const DEFLATE_MAX_RATIO = 1032;

function fail(fileName: string, what: string): never {
  throw new Error(`${fileName}: ${what}`);
}

/** The archive's entries by name, checked against the bytes (nothing is decompressed yet). */
export function listZip(bytes: Uint8Array, fileName = 'zip file'): Map<string, ZipEntry> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${fileName}: expected the file's bytes as a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  if (n < 22) fail(fileName, `not a zip archive (${n} bytes, shorter than the 22-byte end record)`);
  // The end-of-central-directory record: 22 bytes plus a comment of at most 65535 bytes.
  let eocd = -1;
  for (let at = n - 22; at >= Math.max(0, n - 22 - 65_535); at--) {
    if (view.getUint32(at, true) === 0x06054b50 && at + 22 + view.getUint16(at + 20, true) === n) { eocd = at; break; }
  }
  if (eocd < 0) fail(fileName, 'not a zip archive, or truncated: no end-of-central-directory record at its end');
  const disk = view.getUint16(eocd + 4, true);
  const cdDisk = view.getUint16(eocd + 6, true);
  const count = view.getUint16(eocd + 10, true);
  const cdSize = view.getUint32(eocd + 12, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (disk !== 0 || cdDisk !== 0 || view.getUint16(eocd + 8, true) !== count) fail(fileName, 'multi-disk zip archives are not supported');
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) fail(fileName, 'zip64 archives are not supported');
  if (cdOffset + cdSize > eocd) fail(fileName, `central directory (${cdSize} bytes at ${cdOffset}) lies beyond the archive's ${n} bytes (truncated or corrupt)`);
  if (count > MAX_ENTRIES || count * 46 > cdSize) fail(fileName, `central directory of ${cdSize} bytes cannot hold the ${count} entries it declares`);
  const entries = new Map<string, ZipEntry>();
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cdOffset + cdSize || view.getUint32(at, true) !== 0x02014b50) fail(fileName, `central directory entry ${i} is corrupt (no signature at byte ${at})`);
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const compressedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const localOffset = view.getUint32(at + 42, true);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > cdOffset + cdSize) fail(fileName, `central directory entry ${i} runs past the directory`);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    const where = `entry '${name}'`;
    if (flags & 0x01) fail(fileName, `${where} is encrypted (not supported)`);
    if (method !== 0 && method !== 8) fail(fileName, `${where} uses compression method ${method} (supported: 0 stored, 8 deflate)`);
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) fail(fileName, `${where} needs zip64 (not supported)`);
    if (method === 0 && size !== compressedSize) fail(fileName, `${where} is stored but declares ${size} bytes uncompressed and ${compressedSize} compressed`);
    if (method === 8 && size > compressedSize * DEFLATE_MAX_RATIO + 1024) {
      fail(fileName, `${where} declares ${size} bytes uncompressed from ${compressedSize} compressed, more than DEFLATE can produce`);
    }
    if (localOffset + 30 > n || view.getUint32(localOffset, true) !== 0x04034b50) fail(fileName, `${where}: no local header at byte ${localOffset} (truncated or corrupt)`);
    const dataOffset = localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    if (dataOffset + compressedSize > n) fail(fileName, `${where}: its ${compressedSize} bytes at ${dataOffset} lie beyond the archive's ${n} bytes (truncated)`);
    if (entries.has(name)) fail(fileName, `${where} appears twice`);
    entries.set(name, { name, method, compressedSize, size, crc, dataOffset });
    at = next;
  }
  return entries;
}

/** One entry's bytes, decompressed into exactly its declared size and checked by its CRC-32. */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, fileName = 'zip file'): Uint8Array {
  const raw = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  let data: Uint8Array;
  if (entry.method === 0) data = raw.slice();
  else {
    const out = new Uint8Array(entry.size);
    try {
      data = inflateSync(raw, { out });
    } catch (e) {
      fail(fileName, `entry '${entry.name}' does not inflate: ${(e as Error).message}`);
    }
    if (data.length !== entry.size) fail(fileName, `entry '${entry.name}' inflates to ${data.length} bytes, its header declares ${entry.size}`);
  }
  if (parseInt(crc32(data), 16) !== entry.crc) fail(fileName, `entry '${entry.name}' fails its CRC-32 check (corrupt)`);
  return data;
}

/** A zip archive of the given entries, stored uncompressed, dated 1980-01-01 as Keras dates them. */
export function writeZip(entries: Iterable<[string, Uint8Array]>): Uint8Array {
  const list = [...entries].map(([name, data]) => ({ name: new TextEncoder().encode(name), data, crc: parseInt(crc32(data), 16), offset: 0 }));
  let size = 22;
  for (const e of list) size += 30 + 46 + 2 * e.name.length + e.data.length;
  if (list.length > MAX_ENTRIES || size > 0xffffffff) throw new RangeError(`writeZip: ${list.length} entries of ${size} bytes need zip64 (not supported)`);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  const header = (signature: number, e: (typeof list)[number], central: boolean): void => {
    view.setUint32(at, signature, true);
    const o = central ? at + 2 : at; // the central record has "version made by" first
    view.setUint16(o + 4, 20, true); // version needed
    view.setUint16(o + 6, 0x0800, true); // flags: names are UTF-8
    view.setUint16(o + 8, 0, true); // stored
    view.setUint16(o + 10, 0, true); // time 00:00
    view.setUint16(o + 12, 0x21, true); // date 1980-01-01
    view.setUint32(o + 14, e.crc, true);
    view.setUint32(o + 18, e.data.length, true);
    view.setUint32(o + 22, e.data.length, true);
    view.setUint16(o + 26, e.name.length, true);
  };
  for (const e of list) {
    e.offset = at;
    header(0x04034b50, e, false);
    out.set(e.name, at + 30);
    at += 30 + e.name.length;
    out.set(e.data, at);
    at += e.data.length;
  }
  const cdOffset = at;
  for (const e of list) {
    header(0x02014b50, e, true);
    view.setUint16(at + 4, 20, true); // version made by
    view.setUint32(at + 42, e.offset, true);
    out.set(e.name, at + 46);
    at += 46 + e.name.length;
  }
  view.setUint32(at, 0x06054b50, true);
  view.setUint16(at + 8, list.length, true);
  view.setUint16(at + 10, list.length, true);
  view.setUint32(at + 12, at - cdOffset, true);
  view.setUint32(at + 16, cdOffset, true);
  return out;
}
