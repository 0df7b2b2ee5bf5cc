/**
 * The unpacked float32 row kernels of wasm/gemm.wat (`rowsAxpy`, `rowsDot`) in JavaScript, with
 * the same float32 operations in the same order, so they give the SIMD kernels' bits exactly:
 * gemm.ts runs these where WebAssembly is absent (`node --jitless`, a page with WebAssembly off),
 * and a model whose products are all unpacked trains to the same bits there as with SIMD.
 *
 * `Math.fround` of a float64 sum or product of two float32 values is the float32 sum or product
 * (the float64 result of one operation on float32 operands, rounded to float32, is the correctly
 * rounded float32 result: 53 ≥ 2·24 + 2), so each line below is one f32 instruction of the kernel.
 *
 * C[m×n] += op(A)[m×k] · op(B)[k×n], op(A)(i, p) = a[ao + i·sai + p·sap], C(i, j) = c[co + i·ldc + j];
 * B stored k×n (row stride ldb) for rowsAxpy, n×k for rowsDot.
 */
import type { TypedArray } from './alloc.js';

const f = Math.fround;

/**
 * rowsAxpy: four rows of B at a time, c[j] += ((a0·b0[j] + a1·b1[j]) + a2·b2[j]) + a3·b3[j] (each
 * SIMD lane is one column, so the lanes are independent: one column at a time here), a group of
 * four zeros in A skipped; then the last k mod 4 rows one at a time, c[j] += ap·bp[j], zeros skipped.
 */
export function gemmRowsAxpyF32(
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
      if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
      const b0 = bo + p * ldb;
      const b1 = b0 + ldb;
      const b2 = b1 + ldb;
      const b3 = b2 + ldb;
      for (let j = 0; j < n; j++) {
        c[ci + j] = f(c[ci + j] + f(f(f(f(a0 * b[b0 + j]) + f(a1 * b[b1 + j])) + f(a2 * b[b2 + j])) + f(a3 * b[b3 + j])));
      }
    }
    for (; p < k; p++) {
      const ap = a[ai + p * sap];
      if (ap === 0) continue;
      const bp = bo + p * ldb;
      for (let j = 0; j < n; j++) c[ci + j] = f(c[ci + j] + f(ap * b[bp + j]));
    }
  }
}

/**
 * rowsDot: each C(i, j) sums a[p]·b[j, p] in four lanes (lane p mod 4) over the first k − k mod 4
 * terms, adds the lanes as (0 + 1) + (2 + 3), then the last k mod 4 terms one at a time, then adds
 * the sum to C(i, j).
 */
export function gemmRowsDotF32(
  m: number, n: number, k: number,
  a: TypedArray, ao: number, sai: number, sap: number,
  b: TypedArray, bo: number, ldb: number,
  c: TypedArray, co: number, ldc: number,
): void {
  const k4 = k - (k % 4);
  for (let i = 0; i < m; i++) {
    const ai = ao + i * sai;
    const ci = co + i * ldc;
    for (let j = 0; j < n; j++) {
      const bj = bo + j * ldb;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      let p = 0;
      for (; p < k4; p += 4) {
        s0 = f(s0 + f(a[ai + p * sap] * b[bj + p]));
        s1 = f(s1 + f(a[ai + (p + 1) * sap] * b[bj + p + 1]));
        s2 = f(s2 + f(a[ai + (p + 2) * sap] * b[bj + p + 2]));
        s3 = f(s3 + f(a[ai + (p + 3) * sap] * b[bj + p + 3]));
      }
      let sum = f(f(s0 + s1) + f(s2 + s3));
      for (; p < k; p++) sum = f(sum + f(a[ai + p * sap] * b[bj + p]));
      c[ci + j] = f(c[ci + j] + sum);
    }
  }
}
