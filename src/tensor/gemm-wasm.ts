/**
 * The packed GEMM of gemm-kernels.ts with its inner block in WebAssembly SIMD (wasm/gemm.wat),
 * for float32 operands: C[m×n] += op(A)[m×k] · op(B)[k×n]. (The unpacked products of few rows,
 * gemmRowsWasm, are at the end of this file.)
 *
 * The loop nest is the same GotoBLAS / BLIS one: for each NC-wide block of columns and KC-deep
 * slice of the shared dimension, op(B) is packed into 8-column panels, and for each MC-tall block
 * of rows, op(A) into 4-row panels, both as float32 in the module's memory; the kernel then
 * computes the whole MC×NC block of the product in 4×8 register tiles (eight f32x4 accumulators)
 * and this file adds it to C; where there are several KC slices, the kernel adds their blocks
 * itself, into C's columns of the NC block copied into the module's memory (the "strip") before
 * the first slice and back after the last. Products and sums are float32 (as TF.js and Keras
 * compute float32 layers), against float64 in the JavaScript kernels; float64 operands stay there.
 */
import type { TypedArray } from './alloc.js';
import { compileKernel, instantiateKernel, wasmMemory } from '../base/wasm.js';
import { packPanels } from './gemm-kernels.js';
import { GEMM_WASM_BASE64 } from './wasm/gemm-binary.js';

/** Tile and block sizes (floats): a 4×8 register tile; KC·8 floats of a B panel (8 KiB) stay in L1. */
const MR = 4;
const NR = 8;
const KC = 256;
const MC = 64;
const NC = 256;
// The module's memory: packed A and packed B at these byte offsets, then from REMEMBERED_OFFSET
// the remembered op(B) (`packing`; rememberedBytes of it reserved), then the strip of C.
const A_OFFSET = 0;
const B_OFFSET = A_OFFSET + MC * KC * 4;
const BYTES = B_OFFSET + KC * NC * 4;

type BlockKernel = (mc: number, nc: number, kc: number, aOffset: number, bOffset: number, cOffset: number, accumulate: number) => void;

interface Kernel {
  memory: WebAssembly.Memory;
  block: BlockKernel;
  packA: Float32Array;
  packB: Float32Array;
  /** The whole memory as floats (the strip of C is copied in and out through it). */
  floats: Float32Array;
  /** A whole op(B) packed block by block (see `packing` in gemm.ts), from byte REMEMBERED_OFFSET on. */
  remembered: Float32Array;
  /** Bytes reserved for `remembered` (the largest op(B) remembered so far); the strip follows them. */
  rememberedBytes: number;
  /** What `remembered` holds: the B it was packed from, or undefined. */
  rememberedKey: { data: TypedArray; bo: number; sbp: number; sbj: number; k: number; n: number } | undefined;
}

const REMEMBERED_OFFSET = Math.ceil(BYTES / 16) * 16;

/** gemm.wat compiled (once, for every instance); null where WebAssembly SIMD is unavailable. */
let gemmModule: WebAssembly.Module | null | undefined;

/**
 * A new instance of gemm.wat on `memory` (the LSTM's fused kernel, src/layers/recurrent/wasm, runs the row
 * kernels on its own memory this way), or null without SIMD.
 */
export function instantiateGemm(memory: WebAssembly.Memory): WebAssembly.Exports | null {
  if (gemmModule === undefined) gemmModule = compileKernel(GEMM_WASM_BASE64);
  if (gemmModule === null) return null;
  return instantiateKernel(gemmModule, { env: { memory } });
}

/** Compile gemm.wat now (a layer about to use it, at build time). */
export function prepareGemm(): void {
  if (gemmModule === undefined) gemmModule = compileKernel(GEMM_WASM_BASE64);
}

/**
 * A new instance of gemm.wat with a memory of its own of `pages` 64 KiB pages, or null without
 * SIMD (or without WebAssembly at all: the module is asked for before any memory is made).
 */
function instantiate(pages: number): { memory: WebAssembly.Memory; exports: WebAssembly.Exports } | null {
  prepareGemm();
  if (gemmModule === null) return null;
  const memory = wasmMemory(pages);
  if (memory === null) return null;
  const exports = instantiateGemm(memory);
  return exports && { memory, exports };
}

/** The packed kernel's instance and views of its memory; null without SIMD; undefined until first asked. */
let kernel: Kernel | null | undefined;

function gemmKernel(): Kernel | null {
  if (kernel === undefined) {
    const made = instantiate(Math.ceil(REMEMBERED_OFFSET / 65536));
    kernel = made && { memory: made.memory, block: made.exports.block as BlockKernel, ...views(made.memory), rememberedBytes: 0, rememberedKey: undefined };
  }
  return kernel;
}

/** Float32 views of the memory's regions (made again after the memory grows, which detaches the old ones). */
function views(memory: WebAssembly.Memory): Pick<Kernel, 'packA' | 'packB' | 'floats' | 'remembered'> {
  return {
    packA: new Float32Array(memory.buffer, A_OFFSET, MC * KC),
    packB: new Float32Array(memory.buffer, B_OFFSET, KC * NC),
    floats: new Float32Array(memory.buffer),
    remembered: new Float32Array(memory.buffer, REMEMBERED_OFFSET),
  };
}

/** Grow the memory to at least `bytes` (and remake the views, which growing detaches). */
function ensureBytes(kern: Kernel, bytes: number): void {
  if (kern.memory.buffer.byteLength >= bytes) return;
  kern.memory.grow(Math.ceil((bytes - kern.memory.buffer.byteLength) / 65536));
  Object.assign(kern, views(kern.memory));
}

/** True where the SIMD kernel can run (gemm.ts asks before choosing it). */
export function gemmWasmAvailable(): boolean {
  return gemmKernel() !== null;
}

/**
 * C += op(A)·op(B) for float32 operands, addressed as in gemm-kernels.ts' gemmPacked:
 * op(A)(i, p) = a[ao + i·sai + p·sap], op(B)(p, j) = b[bo + p·sbp + j·sbj], C(i, j) = c[co + i·ldc + j].
 * With accumulate false, C = op(A)·op(B) instead (C is not read: the bits of zeroing it first).
 * Call only when gemmWasmAvailable().
 */
export function gemmPackedWasm(
  m: number, n: number, k: number,
  a: TypedArray, ao: number, sai: number, sap: number,
  b: TypedArray, bo: number, sbp: number, sbj: number,
  c: TypedArray, co: number, ldc: number,
  accumulate = true,
  packing?: 'remember' | 'reuse',
): void {
  const kern = gemmKernel()!;
  // With `packing`, op(B) is packed whole (every block, in loop order) into the remembered region,
  // or found there already packed: the LSTM's recurrent kernel, multiplied at every time step.
  let whole = false;
  if (packing !== undefined) {
    const key = kern.rememberedKey;
    const same = key !== undefined && key.data === b && key.bo === bo && key.sbp === sbp && key.sbj === sbj && key.k === k && key.n === n;
    if (packing === 'remember' || !same) packWholeB(kern, b, bo, sbp, sbj, k, n);
    whole = true;
  }
  // The strip: with one KC slice (k ≤ KC), room for one block, added into C as it is computed;
  // with more, C's columns jc .. jc+nc of every row (padded to whole 4-row panels, row stride
  // ncPadded), where the kernel adds the blocks of every slice before it goes back into C.
  const slices = Math.ceil(k / KC);
  const stripRows = slices === 1 ? Math.min(Math.ceil(m / MR) * MR, MC) : Math.ceil(m / MR) * MR;
  const stripOffset = REMEMBERED_OFFSET + kern.rememberedBytes;
  ensureBytes(kern, stripOffset + stripRows * Math.min(Math.ceil(n / NR) * NR, NC) * 4);
  const { block, packA, packB, floats } = kern; // (after growing: growing detaches the views)
  const strip = stripOffset / 4;
  let bOffset = B_OFFSET;
  let wholeBlock = 0; // byte offset of the current (jc, pc) block inside the remembered region
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const ncPadded = Math.ceil(nc / NR) * NR;
    // More than one slice: C[.., jc .. jc+nc] → the strip, when the product is added to C.
    if (slices > 1 && accumulate) copyRows(c, co + jc, ldc, floats, strip, ncPadded, m, nc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      if (whole) {
        bOffset = REMEMBERED_OFFSET + wholeBlock;
        wholeBlock += ncPadded * kc * 4;
      } else {
        // op(B)[pc .. pc+kc, jc .. jc+nc] → 8-column panels, zero-padded to a multiple of 8.
        packPanels(b, bo + pc * sbp + jc * sbj, sbj, sbp, nc, kc, NR, packB);
      }
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        const mcPadded = Math.ceil(mc / MR) * MR;
        // op(A)[ic .. ic+mc, pc .. pc+kc] → 4-row panels, zero-padded to a multiple of 4.
        packPanels(a, ao + ic * sai + pc * sap, sai, sap, mc, kc, MR, packA);
        if (slices === 1) {
          // The block, then C[ic.., jc..] (+)= the block (its padding rows and columns dropped).
          block(mcPadded, ncPadded, kc, A_OFFSET, bOffset, stripOffset, 0);
          if (!accumulate) {
            copyRows(floats, strip, ncPadded, c, co + ic * ldc + jc, ldc, mc, nc);
            continue;
          }
          for (let r = 0; r < mc; r++) {
            const row = co + (ic + r) * ldc + jc;
            const from = strip + r * ncPadded;
            for (let q = 0; q < nc; q++) c[row + q] += floats[from + q];
          }
        } else {
          // strip[ic.., ..] += the block (the first slice's block is stored, when C is overwritten).
          block(mcPadded, ncPadded, kc, A_OFFSET, bOffset, stripOffset + ic * ncPadded * 4, accumulate || pc > 0 ? 1 : 0);
        }
      }
    }
    // The strip → C[.., jc .. jc+nc] (its padding is dropped).
    if (slices > 1) copyRows(floats, strip, ncPadded, c, co + jc, ldc, m, nc);
  }
}

/** rows × cols floats from `from` (row stride fromStride) to `to` (row stride toStride). */
function copyRows(from: TypedArray, fromAt: number, fromStride: number, to: TypedArray, toAt: number, toStride: number, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const f = fromAt + r * fromStride;
    const t = toAt + r * toStride;
    // A long row as one copy (a memcpy); a short one element by element (making the view costs more).
    if (cols >= 64) to.set(from.subarray(f, f + cols), t);
    else for (let q = 0; q < cols; q++) to[t + q] = from[f + q];
  }
}

/** Pack all of op(B) into the remembered region, block after block in the loop order of gemmPackedWasm. */
function packWholeB(kern: Kernel, b: TypedArray, bo: number, sbp: number, sbj: number, k: number, n: number): void {
  const bytes = Math.ceil(n / NR) * NR * k * 4;
  kern.rememberedBytes = Math.max(kern.rememberedBytes, bytes);
  ensureBytes(kern, REMEMBERED_OFFSET + kern.rememberedBytes);
  let at = 0; // float index in the remembered region
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const ncPadded = Math.ceil(nc / NR) * NR;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packPanels(b, bo + pc * sbp + jc * sbj, sbj, sbp, nc, kc, NR, kern.remembered.subarray(at, at + ncPadded * kc));
      at += ncPadded * kc;
    }
  }
  kern.rememberedKey = { data: b, bo, sbp, sbj, k, n };
}

// ---------------------------------------------------------------------------------------
// Unpacked products for few rows of A (batch 1): rowsAxpy / rowsDot of wasm/gemm.wat, run by a
// second instance of the module with a memory of its own, laid out as
//   [ remembered B | B | A | C ]
// The operands are copied in as they are stored (a row-contiguous B or C in one copy), so no
// packing is needed; B remembered as for the packed kernel stays resident across time steps.
// ---------------------------------------------------------------------------------------

type RowsKernelFunction = (m: number, n: number, k: number, aOff: number, lda: number, bOff: number, ldb: number, cOff: number, ldc: number) => void;

interface RowsKernel {
  memory: WebAssembly.Memory;
  rowsAxpy: RowsKernelFunction;
  rowsDot: RowsKernelFunction;
  floats: Float32Array;
  /** Floats reserved at the start of memory for the remembered B. */
  rememberedCapacity: number;
  rememberedKey: { data: TypedArray; bo: number; ldb: number; rows: number; cols: number } | undefined;
}

let rowsKernel: RowsKernel | null | undefined;

function rowsKernelInstance(): RowsKernel | null {
  if (rowsKernel === undefined) {
    const made = instantiate(1);
    rowsKernel = made && {
      memory: made.memory,
      rowsAxpy: made.exports.rowsAxpy as RowsKernelFunction,
      rowsDot: made.exports.rowsDot as RowsKernelFunction,
      floats: new Float32Array(made.memory.buffer),
      rememberedCapacity: 0,
      rememberedKey: undefined,
    };
  }
  return rowsKernel;
}

/** Grow the rows kernel's memory to at least `floats` floats (refreshing its view). */
function ensureFloats(kern: RowsKernel, floats: number): void {
  const bytes = floats * 4;
  if (kern.memory.buffer.byteLength < bytes) {
    kern.memory.grow(Math.ceil((bytes - kern.memory.buffer.byteLength) / 65536));
    kern.floats = new Float32Array(kern.memory.buffer);
  }
}

/**
 * How a rows × cols matrix stored with row stride ld is copied into the kernel's memory: as
 * stored, in one copy (rows contiguous, or nearly), or row by row, packed to stride cols.
 */
function copiedStride(ld: number, rows: number, cols: number): number {
  return ld === cols || (rows - 1) * ld + cols <= 2 * rows * cols ? ld : cols;
}

/** Floats a matrix takes in the kernel's memory at row stride `stride`. */
const copiedFloats = (stride: number, rows: number, cols: number): number => (rows === 0 ? 0 : (rows - 1) * stride + cols);

/** Copy `count` floats from src[from] to dst[to]: a loop when short (a subarray view costs more than that), else one block copy. */
function copyFloats(src: TypedArray, from: number, dst: TypedArray, to: number, count: number): void {
  if (count < SHORT_COPY) {
    for (let i = 0; i < count; i++) dst[to + i] = src[from + i];
  } else {
    dst.set(src.subarray(from, from + count), to);
  }
}

/** Below this many floats a copy is a plain loop. */
const SHORT_COPY = 64;

/** Copy a rows × cols matrix (src[so], row stride ld) to dst[d] at row stride `stride` (from copiedStride). */
function copyIn(src: TypedArray, so: number, ld: number, rows: number, cols: number, dst: Float32Array, d: number, stride: number): void {
  if (rows === 0 || cols === 0) return;
  if (stride === ld) {
    copyFloats(src, so, dst, d, copiedFloats(ld, rows, cols));
  } else {
    for (let r = 0; r < rows; r++) copyFloats(src, so + r * ld, dst, d + r * stride, cols);
  }
}

/** Round a float count up to a multiple of 4 (16-byte alignment for the regions). */
const align4 = (floats: number): number => Math.ceil(floats / 4) * 4;

/**
 * C += op(A)·op(B) for float32 operands and few rows of op(A), without packing:
 * op(A)(i, p) = a[ao + i·sai + p·sap]; B stored k×n (row stride ldb) or, with transB, n×k;
 * C(i, j) = c[co + i·ldc + j]. `packing` keeps B resident across calls, as in gemm.ts.
 * Call only when gemmWasmAvailable().
 */
export function gemmRowsWasm(
  m: number, n: number, k: number,
  a: TypedArray, ao: number, sai: number, sap: number,
  b: TypedArray, bo: number, ldb: number, transB: boolean,
  c: TypedArray, co: number, ldc: number,
  packing?: 'remember' | 'reuse',
): void {
  const kern = rowsKernelInstance()!;
  const bRows = transB ? n : k;
  const bCols = transB ? k : n;
  const bStride = copiedStride(ldb, bRows, bCols);
  const bFloats = align4(copiedFloats(bStride, bRows, bCols));
  // Regions, in floats: the remembered B from 0, then B (when not remembered), op(A) (m × k), C.
  let bAt = kern.rememberedCapacity;
  let aAt = bAt + bFloats;
  if (packing !== undefined) {
    const key = kern.rememberedKey;
    const same = key !== undefined && key.data === b && key.bo === bo && key.ldb === ldb && key.rows === bRows && key.cols === bCols;
    if (packing === 'remember' || !same) {
      if (bFloats > kern.rememberedCapacity) {
        kern.rememberedCapacity = bFloats;
        ensureFloats(kern, bFloats);
      }
      copyIn(b, bo, ldb, bRows, bCols, kern.floats, 0, bStride);
      kern.rememberedKey = { data: b, bo, ldb, rows: bRows, cols: bCols };
    }
    bAt = 0;
    aAt = kern.rememberedCapacity;
  }
  const cStride = copiedStride(ldc, m, n);
  const cAt = aAt + align4(m * k);
  ensureFloats(kern, cAt + copiedFloats(cStride, m, n));
  const mem = kern.floats;
  if (packing === undefined) copyIn(b, bo, ldb, bRows, bCols, mem, bAt, bStride);
  // op(A) as m rows of k, contiguous.
  if (sap === 1 && sai === k) {
    copyFloats(a, ao, mem, aAt, m * k);
  } else {
    for (let i = 0, d = aAt; i < m; i++) for (let p = 0, s = ao + i * sai; p < k; p++, s += sap) mem[d++] = a[s];
  }
  copyIn(c, co, ldc, m, n, mem, cAt, cStride);
  (transB ? kern.rowsDot : kern.rowsAxpy)(m, n, k, aAt * 4, k, bAt * 4, bStride, cAt * 4, cStride);
  if (cStride === ldc) {
    copyFloats(mem, cAt, c, co, copiedFloats(ldc, m, n));
  } else {
    for (let i = 0; i < m; i++) copyFloats(mem, cAt + i * cStride, c, co + i * ldc, n);
  }
}
