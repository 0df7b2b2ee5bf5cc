/**
 * The reference GEMM: the plain loops, one per transpose case, written to be read.
 *
 *   C[m×n] = op(A)[m×k] · op(B)[k×n]        (accumulate = false)
 *   C[m×n] += op(A)[m×k] · op(B)[k×n]       (accumulate = true)
 *
 * Same contract and addressing as `gemm` in gemm.ts (see there). The fast kernels in
 * gemm-kernels.ts compute exactly this; test/gemm-fast.test.ts compares the two on random shapes,
 * offsets and leading dimensions. These loops are what the library ran before the fast kernels,
 * and what to read to see what a GEMM does.
 */
import type { TypedArray } from './alloc.js';
import type { MatrixRef } from './matrix-ref.js';

export function gemmReference(m: number, n: number, k: number, a: MatrixRef, b: MatrixRef, c: MatrixRef, accumulate: boolean): void {
  if (!accumulate) zeroMatrix(c.data, c.offset, c.ld, m, n);
  if (m === 0 || n === 0 || k === 0) return;
  const transA = a.transpose === true;
  const transB = b.transpose === true;
  if (!transA && !transB) referenceNN(m, n, k, a.data, a.offset, a.ld, b.data, b.offset, b.ld, c.data, c.offset, c.ld);
  else if (transA && !transB) referenceTN(m, n, k, a.data, a.offset, a.ld, b.data, b.offset, b.ld, c.data, c.offset, c.ld);
  else if (!transA && transB) referenceNT(m, n, k, a.data, a.offset, a.ld, b.data, b.offset, b.ld, c.data, c.offset, c.ld);
  else referenceTT(m, n, k, a.data, a.offset, a.ld, b.data, b.offset, b.ld, c.data, c.offset, c.ld);
}

/** C[0..m, 0..n] = 0, row by row (one fill when the rows are contiguous). */
export function zeroMatrix(c: TypedArray, offset: number, ld: number, m: number, n: number): void {
  if (ld === n) {
    c.fill(0, offset, offset + m * n);
    return;
  }
  for (let i = 0; i < m; i++) c.fill(0, offset + i * ld, offset + i * ld + n);
}

// C += A·B. For each row i of C: C[i,:] += A[i,p] * B[p,:], streaming rows of B.
function referenceNN(m: number, n: number, k: number, a: TypedArray, ao: number, lda: number, b: TypedArray, bo: number, ldb: number, c: TypedArray, co: number, ldc: number): void {
  for (let i = 0; i < m; i++) {
    const cRow = co + i * ldc;
    const aRow = ao + i * lda;
    for (let p = 0; p < k; p++) {
      const aip = a[aRow + p];
      if (aip === 0) continue; // one-hot inputs: most rows of B need not be read
      const bRow = bo + p * ldb;
      for (let j = 0; j < n; j++) c[cRow + j] += aip * b[bRow + j];
    }
  }
}

// C += Aᵀ·B with A stored k×m. For each shared row p: C[i,:] += A[p,i] * B[p,:].
function referenceTN(m: number, n: number, k: number, a: TypedArray, ao: number, lda: number, b: TypedArray, bo: number, ldb: number, c: TypedArray, co: number, ldc: number): void {
  for (let p = 0; p < k; p++) {
    const aRow = ao + p * lda;
    const bRow = bo + p * ldb;
    for (let i = 0; i < m; i++) {
      const api = a[aRow + i];
      if (api === 0) continue;
      const cRow = co + i * ldc;
      for (let j = 0; j < n; j++) c[cRow + j] += api * b[bRow + j];
    }
  }
}

// C += A·Bᵀ with B stored n×k. Each C[i,j] is a dot product of two stored rows.
function referenceNT(m: number, n: number, k: number, a: TypedArray, ao: number, lda: number, b: TypedArray, bo: number, ldb: number, c: TypedArray, co: number, ldc: number): void {
  for (let i = 0; i < m; i++) {
    const aRow = ao + i * lda;
    const cRow = co + i * ldc;
    for (let j = 0; j < n; j++) {
      const bRow = bo + j * ldb;
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[aRow + p] * b[bRow + p];
      c[cRow + j] += sum;
    }
  }
}

// C += Aᵀ·Bᵀ with A stored k×m and B stored n×k. Rare (no layer uses it); kept simple.
function referenceTT(m: number, n: number, k: number, a: TypedArray, ao: number, lda: number, b: TypedArray, bo: number, ldb: number, c: TypedArray, co: number, ldc: number): void {
  for (let i = 0; i < m; i++) {
    const cRow = co + i * ldc;
    for (let j = 0; j < n; j++) {
      const bRow = bo + j * ldb;
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[ao + p * lda + i] * b[bRow + p];
      c[cRow + j] += sum;
    }
  }
}
