/**
 * Weights as bytes, the same in Node and browsers: little-endian float32 / float64 encoding,
 * base64 text, and a CRC-32 checksum so a corrupted file is caught before it becomes a model.
 */
import { allocate, type DType, type TypedArray } from './alloc.js';

/** The values of a typed array as little-endian bytes (whatever the machine's byte order). */
export function toLittleEndianBytes(values: TypedArray): Uint8Array {
  const width = values instanceof Float64Array ? 8 : 4;
  const bytes = new Uint8Array(values.length * width);
  const view = new DataView(bytes.buffer);
  if (width === 8) for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true);
  else for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

/** Little-endian bytes back to values of the given dtype. */
export function fromLittleEndianBytes(bytes: Uint8Array, dtype: DType): TypedArray {
  const width = dtype === 'float64' ? 8 : 4;
  if (bytes.length % width !== 0) {
    throw new RangeError(`expected a multiple of ${width} bytes for ${dtype} values, got ${bytes.length}`);
  }
  const values = allocate(dtype, bytes.length / width);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (width === 8) for (let i = 0; i < values.length; i++) values[i] = view.getFloat64(i * 8, true);
  else for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * 4, true);
  return values;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + ALPHABET[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + '==';
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + '=';
  }
  return out;
}

/** Strict base64: a length that is not a multiple of 4 or a character outside the alphabet is an error. */
export function decodeBase64(text: string): Uint8Array {
  if (typeof text !== 'string' || text.length % 4 !== 0) {
    throw new RangeError(`invalid base64: expected a string whose length is a multiple of 4, got ${typeof text === 'string' ? `length ${text.length}` : typeof text}`);
  }
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bytes = new Uint8Array((text.length / 4) * 3 - padding);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const code = text.charCodeAt(i + k);
      const isPad = code === 61 && i + k >= text.length - padding;
      const v = isPad ? 0 : code < 128 ? LOOKUP[code] : -1;
      if (v < 0) throw new RangeError(`invalid base64: unexpected character ${JSON.stringify(text[i + k])} at position ${i + k}`);
      n = (n << 6) | v;
    }
    if (o < bytes.length) bytes[o++] = (n >> 16) & 255;
    if (o < bytes.length) bytes[o++] = (n >> 8) & 255;
    if (o < bytes.length) bytes[o++] = n & 255;
  }
  return bytes;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of a text's UTF-8 bytes (a saved document's checksum), as 8 hex digits. */
export function crc32OfText(text: string): string {
  return crc32(new TextEncoder().encode(text));
}

/** CRC-32 (the zlib / PNG polynomial) as 8 hex digits. */
export function crc32(bytes: Uint8Array): string {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 255] ^ (c >>> 8);
  return ((c ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
}
