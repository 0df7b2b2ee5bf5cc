/** A matrix as gemm.ts reads it: a region of a typed array, row-major with a leading dimension (as BLAS takes it). */
import type { TypedArray } from './alloc.js';

export interface MatrixRef {
  data: TypedArray;
  /** Index of element (0, 0) in `data`. */
  offset: number;
  /** Row stride of the matrix as stored (before any transpose). */
  ld: number;
  /** Use the transpose of the stored matrix. */
  transpose?: boolean;
  /**
   * For B only, when the same B multiplies many times in a row (the LSTM's recurrent kernel, once
   * per time step): 'remember' packs it whole and keeps the packing; 'reuse' promises that B is
   * the one last remembered, unchanged, and skips the packing. Only the packed float32 kernel
   * uses it; it never changes a result.
   */
  packing?: 'remember' | 'reuse';
}
