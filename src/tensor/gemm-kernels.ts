/**
 * The fast GEMM kernels behind `gemm` (gemm.ts): C[m×n] += op(A)[m×k] · op(B)[k×n].
 *
 * Two paths, chosen by gemm.ts from the shape:
 *
 * 1. Packed, cache-tiled, register-blocked (`gemmPacked`): the GotoBLAS / BLIS scheme.
 *      for each KC-deep slice of the shared dimension, and each NC-wide block of columns:
 *        pack op(B)[slice, block] into NR-wide column panels (packB)        ~ L2 / L3
 *        for each MC-tall block of rows:
 *          pack op(A)[block, slice] into MR-tall row panels (packA)         ~ L2
 *          for each NR panel, for each MR panel:
 *            microkernel: a 4×4 tile of C held in 16 local variables,
 *            updated by KC rank-1 steps read sequentially from the panels   ~ L1
 *    Packing reads each operand in its stored order, so the transposed cases (Aᵀ·B, A·Bᵀ)
 *    cost the same as the plain one: the transpose is absorbed by the packing strides, and one
 *    microkernel serves NN, TN, NT and TT. Panels are Float64Array for both dtypes: the
 *    microkernel stays monomorphic, and it computes in double precision anyway (JavaScript
 *    arithmetic is float64; a Float32Array element is widened on load and rounded on store).
 *
 * 2. Unpacked, for small products and for m = 1 (the batch-1 matrix-vector products of the
 *    tutorials), where packing B would cost as much as the product itself:
 *    - `gemmRowsAxpy` when op(B) is B as stored (rows of B contiguous): each row of C gets
 *      C[i,:] += a0·B[p,:] + a1·B[p+1,:] + a2·B[p+2,:] + a3·B[p+3,:], four rows of B per pass
 *      over C[i,:]. A group of four zero coefficients is skipped (one-hot inputs).
 *    - `gemmRowsDot` when op(B) = Bᵀ (rows of the stored B are columns of op(B)): four dot
 *      products C[i,j..j+3] at once, sharing each load of A[i,p].
 *
 * Addressing is by strides, so the transposes need no copies: op(A)(i, p) = a[ao + i·sai + p·sap]
 * (plain: sai = lda, sap = 1; transposed: sai = 1, sap = lda) and op(B)(p, j) = b[bo + p·sbp + j·sbj].
 *
 * Everything here accumulates into C (gemm.ts zeroes C first when asked to overwrite).
 * Nothing is allocated per call: the panels and the edge tile are module-level scratch.
 */
import type { TypedArray } from './alloc.js';

/** Rows of the register tile (of C, and of an A panel). */
export const MR = 4;
/** Columns of the register tile (of C, and of a B panel). */
export const NR = 4;
/** Depth of one slice of the shared dimension: an MR×KC panel of A plus a KC×NR panel of B is 16 KiB (L1). */
export const KC = 256;
/** Rows of A packed at once: MC×KC doubles = 128 KiB (L2). */
export const MC = 64;
/** Columns of B packed at once: KC×NC doubles = 512 KiB, so the A and B blocks share the 1 MiB L2. */
export const NC = 256;

// Scratch, allocated once for the life of the module (the kernels are synchronous and not re-entrant).
const packA = new Float64Array(MC * KC); //   (MC/MR panels) × (KC, MR)   panel r: ap[r·KC·MR + p·MR + i]
const packB = new Float64Array(KC * NC); //   (NC/NR panels) × (KC, NR)   panel q: bp[q·KC·NR + p·NR + j]
const edgeTile = new Float64Array(MR * NR); // a partial tile at the bottom / right edge of C

/**
 * C += op(A)·op(B) by packed panels and a 4×4 register-tiled microkernel.
 * op(A)(i, p) = a[ao + i·sai + p·sap], op(B)(p, j) = b[bo + p·sbp + j·sbj], C(i, j) = c[co + i·ldc + j].
 */
export function gemmPacked(
  m: number, n: number, k: number,
  a: TypedArray, ao: number, sai: number, sap: number,
  b: TypedArray, bo: number, sbp: number, sbj: number,
  c: TypedArray, co: number, ldc: number,
): void {
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      // op(B)[pc .. pc+kc, jc .. jc+nc] → NR-wide panels, zero-padded to a multiple of NR.
      packPanels(b, bo + pc * sbp + jc * sbj, sbj, sbp, nc, kc, NR, packB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        // op(A)[ic .. ic+mc, pc .. pc+kc] → MR-tall panels, zero-padded to a multiple of MR.
        packPanels(a, ao + ic * sai + pc * sap, sai, sap, mc, kc, MR, packA);
        macroKernel(mc, nc, kc, c, co + ic * ldc + jc, ldc);
      }
    }
  }
}

/**
 * Copy an (rows × kc) block, element (r, p) at src[base + r·sr + p·sp], into panels of `width`
 * rows: panel q holds rows q·width .. q·width+width-1 as dst[q·kc·width + p·width + (r mod width)].
 * Rows past the end are zero, so the microkernel never needs a ragged case. Used by both packed
 * kernels: into float64 panels here, into float32 panels in WebAssembly memory (gemm-wasm.ts).
 */
export function packPanels(src: TypedArray, base: number, sr: number, sp: number, rows: number, kc: number, width: number, dst: TypedArray): void {
  let d = 0;
  for (let r0 = 0; r0 < rows; r0 += width) {
    const full = Math.min(width, rows - r0);
    const first = base + r0 * sr;
    if (full === 4 && width === 4) {
      // A whole 4-wide panel (the common case), unrolled: four source rows read side by side.
      for (let p = 0, s = first; p < kc; p++, s += sp, d += 4) {
        dst[d] = src[s];
        dst[d + 1] = src[s + sr];
        dst[d + 2] = src[s + 2 * sr];
        dst[d + 3] = src[s + 3 * sr];
      }
      continue;
    }
    if (full === 8 && width === 8) {
      // A whole 8-wide panel (the WebAssembly kernel's B panels), unrolled likewise.
      for (let p = 0, s = first; p < kc; p++, s += sp, d += 8) {
        dst[d] = src[s];
        dst[d + 1] = src[s + sr];
        dst[d + 2] = src[s + 2 * sr];
        dst[d + 3] = src[s + 3 * sr];
        dst[d + 4] = src[s + 4 * sr];
        dst[d + 5] = src[s + 5 * sr];
        dst[d + 6] = src[s + 6 * sr];
        dst[d + 7] = src[s + 7 * sr];
      }
      continue;
    }
    // A ragged last panel: the missing rows are zero.
    for (let p = 0; p < kc; p++) {
      const s = first + p * sp;
      for (let r = 0; r < width; r++) dst[d + r] = r < full ? src[s + r * sr] : 0;
      d += width;
    }
  }
}

/** C[0..mc, 0..nc] (at c[cb], row stride ldc) += packed A block · packed B block. */
function macroKernel(mc: number, nc: number, kc: number, c: TypedArray, cb: number, ldc: number): void {
  const panelA = kc * MR;
  const panelB = kc * NR;
  for (let j = 0, pb = 0; j < nc; j += NR, pb += panelB) {
    const cols = Math.min(NR, nc - j);
    for (let i = 0, pa = 0; i < mc; i += MR, pa += panelA) {
      const rows = Math.min(MR, mc - i);
      if (rows === MR && cols === NR) {
        microKernel4x4(kc, pa, pb, c, cb + i * ldc + j, ldc);
      } else {
        // A ragged edge: compute the whole padded tile into scratch, add the part that exists.
        edgeTile.fill(0);
        microKernel4x4(kc, pa, pb, edgeTile, 0, NR);
        for (let r = 0; r < rows; r++) {
          const ci = cb + (i + r) * ldc + j;
          for (let q = 0; q < cols; q++) c[ci + q] += edgeTile[r * NR + q];
        }
      }
    }
  }
}

/**
 * The register tile: C[0..4, 0..4] (at c[ci], row stride ldc) += Σ_p packA[pa + 4p + r] · packB[pb + 4p + q].
 * 16 accumulators, 4 values of B and 1 of A live per step: 21 doubles, close to the 16 SSE
 * registers V8 allocates from. Measured in bench/gemm.ts against 4×3, 3×4, 2×4, 4×2, 6×4, 4×8 and
 * 1×8 tiles; all land within ±10% of 5 GFLOP/s on the microkernel alone, and 4×4 is the simplest.
 */
function microKernel4x4(kc: number, pa: number, pb: number, c: TypedArray, ci: number, ldc: number): void {
  const ap = packA;
  const bp = packB;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++) {
    const b0 = bp[pb];
    const b1 = bp[pb + 1];
    const b2 = bp[pb + 2];
    const b3 = bp[pb + 3];
    let a = ap[pa];
    c00 += a * b0; c01 += a * b1; c02 += a * b2; c03 += a * b3;
    a = ap[pa + 1];
    c10 += a * b0; c11 += a * b1; c12 += a * b2; c13 += a * b3;
    a = ap[pa + 2];
    c20 += a * b0; c21 += a * b1; c22 += a * b2; c23 += a * b3;
    a = ap[pa + 3];
    c30 += a * b0; c31 += a * b1; c32 += a * b2; c33 += a * b3;
    pa += 4;
    pb += 4;
  }
  c[ci] += c00; c[ci + 1] += c01; c[ci + 2] += c02; c[ci + 3] += c03;
  ci += ldc;
  c[ci] += c10; c[ci + 1] += c11; c[ci + 2] += c12; c[ci + 3] += c13;
  ci += ldc;
  c[ci] += c20; c[ci + 1] += c21; c[ci + 2] += c22; c[ci + 3] += c23;
  ci += ldc;
  c[ci] += c30; c[ci + 1] += c31; c[ci + 2] += c32; c[ci + 3] += c33;
}

/**
 * C += op(A)·B for B as stored (row p of B contiguous, at b[bo + p·ldb]); no packing.
 * Each row of C is updated from four rows of B per pass: C[i,:] += Σ_{q<4} a_q·B[p+q,:].
 */
export function gemmRowsAxpy(
  m: number, n: number, k: number,
  a: TypedArray, ao: number, sai: number, sap: number,
  b: TypedArray, bo: number, ldb: number,
  c: TypedArray, co: number, ldc: number,
): void {
  const k4 = k - (k % 4);
  for (let i = 0; i < m; i++) {
    const ai = ao + i * sai;
    const ci = co + i * ldc;
    let p = 0;
    for (; p < k4; p += 4) {
      const a0 = a[ai + p * sap];
      const a1 = a[ai + (p + 1) * sap];
      const a2 = a[ai + (p + 2) * sap];
      const a3 = a[ai + (p + 3) * sap];
      if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue; // one-hot rows: nothing to add
      const b0 = bo + p * ldb;
      const b1 = b0 + ldb;
      const b2 = b1 + ldb;
      const b3 = b2 + ldb;
      for (let j = 0; j < n; j++) c[ci + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
    }
    for (; p < k; p++) {
      const ap = a[ai + p * sap];
      if (ap === 0) continue;
      const b0 = bo + p * ldb;
      for (let j = 0; j < n; j++) c[ci + j] += ap * b[b0 + j];
    }
  }
}

/**
 * C += op(A)·Bᵀ for B stored n×k (column j of op(B) is row j of the stored B, contiguous at
 * b[bo + j·ldb]); no packing. Four dot products C[i, j..j+3] per pass over row i of op(A).
 */
export function gemmRowsDot(
  m: number, n: number, k: number,
  a: TypedArray, ao: number, sai: number, sap: number,
  b: TypedArray, bo: number, ldb: number,
  c: TypedArray, co: number, ldc: number,
): void {
  const n4 = n - (n % 4);
  for (let i = 0; i < m; i++) {
    const ai = ao + i * sai;
    const ci = co + i * ldc;
    let j = 0;
    for (; j < n4; j += 4) {
      const b0 = bo + j * ldb;
      const b1 = b0 + ldb;
      const b2 = b1 + ldb;
      const b3 = b2 + ldb;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let p = 0; p < k; p++) {
        const ap = a[ai + p * sap];
        s0 += ap * b[b0 + p];
        s1 += ap * b[b1 + p];
        s2 += ap * b[b2 + p];
        s3 += ap * b[b3 + p];
      }
      c[ci + j] += s0;
      c[ci + j + 1] += s1;
      c[ci + j + 2] += s2;
      c[ci + j + 3] += s3;
    }
    for (; j < n; j++) {
      const bj = bo + j * ldb;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p * sap] * b[bj + p];
      c[ci + j] += s;
    }
  }
}
