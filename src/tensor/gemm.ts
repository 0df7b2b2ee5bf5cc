/**
 * General matrix multiply: the single entry point for every matrix product in lstm-ts.
 *
 *   C[m×n] = op(A)[m×k] · op(B)[k×n]        (accumulate = false)
 *   C[m×n] += op(A)[m×k] · op(B)[k×n]       (accumulate = true)
 *
 * where op(X) is X or Xᵀ. Matrices are row-major inside flat typed arrays, addressed by an
 * offset and a leading dimension (the distance between rows as stored), exactly as BLAS does,
 * so a layer can multiply a block of a larger buffer (one time step of a [T, B, 4H] cache) in place.
 *
 * - A not transposed: stored m×k, element (i, p) at a[aOffset + i*lda + p].
 * - A transposed:     stored k×m, op(A)(i, p) = a[aOffset + p*lda + i].
 * - likewise B: stored k×n, or n×k when transposed.
 *
 * Layers never loop over matrix products themselves, so every layer gets the kernels chosen here:
 * - products with at least PACKED_MIN_ROWS rows and enough work to repay packing go to the
 *   packed, cache-tiled, register-blocked kernel: for float32 operands its WebAssembly SIMD form
 *   (gemm-wasm.ts, 4×8 float32 tiles) where available, else, and for float64, the JavaScript
 *   one (gemm-kernels.ts, `gemmPacked`, 4×4 tiles accumulated in float64);
 * - the rest (the batch-1 products of the tutorials: m = 1, matrix times vector) run unpacked:
 *   for float32 operands and at least ROWS_WASM_MIN_WORK multiply-adds, in WebAssembly SIMD
 *   (gemm-wasm.ts, `gemmRowsWasm`, on operands copied in as they are stored, the LSTM's
 *   recurrent kernel kept there across time steps), or where WebAssembly is unavailable in its
 *   JavaScript twin (gemm-rows-f32.ts, the same float32 operations: the same bits); else, and
 *   for float64, in JavaScript (float64 sums),
 *   `gemmRowsAxpy` when B is used as stored and `gemmRowsDot` when it is transposed.
 * gemm-reference.ts keeps the plain loops these replace; the tests compare the two.
 */
import type { MatrixRef } from './matrix-ref.js';
import { gemmPacked, gemmRowsAxpy, gemmRowsDot } from './gemm-kernels.js';
import { zeroMatrix } from './gemm-reference.js';
import { gemmPackedWasm, gemmRowsWasm, gemmWasmAvailable } from './gemm-wasm.js';
import { gemmRowsAxpyF32, gemmRowsDotF32 } from './gemm-rows-f32.js';

export type { MatrixRef } from './matrix-ref.js';

export function gemm(m: number, n: number, k: number, a: MatrixRef, b: MatrixRef, c: MatrixRef, accumulate: boolean): void {
  // op(A)(i, p) = a[offset + i·sai + p·sap];  op(B)(p, j) = b[offset + p·sbp + j·sbj]
  const transA = a.transpose === true;
  const transB = b.transpose === true;
  const sai = transA ? 1 : a.ld;
  const sap = transA ? a.ld : 1;
  const packed = usePacked(m, n, k);
  if (packed && a.data instanceof Float32Array && b.data instanceof Float32Array && c.data instanceof Float32Array && gemmWasmAvailable()) {
    // The SIMD kernel overwrites C itself when not accumulating (no zeroing pass).
    gemmPackedWasm(m, n, k, a.data, a.offset, sai, sap, b.data, b.offset, transB ? 1 : b.ld, transB ? b.ld : 1, c.data, c.offset, c.ld, accumulate, b.packing);
    return;
  }
  if (!accumulate) zeroMatrix(c.data, c.offset, c.ld, m, n);
  if (m === 0 || n === 0 || k === 0) return;
  if (packed) {
    gemmPacked(m, n, k, a.data, a.offset, sai, sap, b.data, b.offset, transB ? 1 : b.ld, transB ? b.ld : 1, c.data, c.offset, c.ld);
  } else if (m * n * k >= ROWS_WASM_MIN_WORK && a.data instanceof Float32Array && b.data instanceof Float32Array && c.data instanceof Float32Array) {
    if (gemmWasmAvailable()) gemmRowsWasm(m, n, k, a.data, a.offset, sai, sap, b.data, b.offset, b.ld, transB, c.data, c.offset, c.ld, b.packing);
    else (transB ? gemmRowsDotF32 : gemmRowsAxpyF32)(m, n, k, a.data, a.offset, sai, sap, b.data, b.offset, b.ld, c.data, c.offset, c.ld);
  } else if (transB) {
    gemmRowsDot(m, n, k, a.data, a.offset, sai, sap, b.data, b.offset, b.ld, c.data, c.offset, c.ld);
  } else {
    gemmRowsAxpy(m, n, k, a.data, a.offset, sai, sap, b.data, b.offset, b.ld, c.data, c.offset, c.ld);
  }
}

/** Rows below which packing does not pay (B would be packed for too few rows of A). */
export const PACKED_MIN_ROWS = 4;
/** Multiply-adds below which the unpacked WebAssembly kernel does not repay copying its operands. */
export const ROWS_WASM_MIN_WORK = 512;
/** Multiply-adds below which packing does not pay. */
export const PACKED_MIN_WORK = 16384;

/** Whether the packed kernel is used for this shape (exported for the tests, which cover both paths). */
export function usePacked(m: number, n: number, k: number): boolean {
  return m >= PACKED_MIN_ROWS && n >= 4 && m * n * k >= PACKED_MIN_WORK;
}
