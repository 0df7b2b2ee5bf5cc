// Shapes: B = batch, T = time steps, n = the width of one row (I features, H units, or G gates).
/**
 * Moving sequences between the batch-major layout users give and take ([B, T, n]: sample b's
 * steps side by side) and the time-major layout the sequence loop works in ((T, B, n): step t of
 * every sample is one contiguous [B, n] block, so one product covers a whole step), and the few
 * row operations the loop needs around its products. Plain loops over typed arrays, no closures.
 */
import type { TypedArray } from '../../tensor/alloc.js';

/**
 * out[t, b, :] = x[offset + (b, t, :)] for x (B, T, n) stored from `offset` on → out (T, B, n).
 * With `reverse`, step t of out is step T-1-t of x (goBackwards reads the sequence from its end).
 */
export function transposeBT(x: TypedArray, out: TypedArray, B: number, T: number, n: number, offset = 0, reverse = false): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const from = offset + (b * T + t) * n;
      const to = ((reverse ? T - 1 - t : t) * B + b) * n;
      for (let k = 0; k < n; k++) out[to + k] = x[from + k];
    }
  }
}

/** out[b, t, :] = x[offset + (t, b, :)] for x (T, B, n) starting at `offset` → out (B, T, n); `reverse` as in transposeBT. */
export function transposeTB(x: TypedArray, offset: number, out: TypedArray, B: number, T: number, n: number, reverse = false): void {
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      const from = offset + (t * B + b) * n;
      const to = (b * T + (reverse ? T - 1 - t : t)) * n;
      for (let k = 0; k < n; k++) out[to + k] = x[from + k];
    }
  }
}

/** mask[r] = 1 when all n values of row r of xT (T·B rows of n) equal `value`, else 0. Returns the count of 1s. */
export function findMaskedSteps(xT: TypedArray, mask: Uint8Array, rows: number, n: number, value: number): number {
  let count = 0;
  for (let r = 0; r < rows; r++) {
    let masked = 1;
    for (let k = 0; k < n; k++) {
      if (xT[r * n + k] !== value) {
        masked = 0;
        break;
      }
    }
    mask[r] = masked;
    count += masked;
  }
  return count;
}

/** mask[t·B + b] = inputMask[b·T + t] (batch-major [B, T] to time-major, `reverse` as in transposeBT); returns the count of 1s. */
export function transposeMask(inputMask: Uint8Array, mask: Uint8Array, B: number, T: number, reverse = false): number {
  let count = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const masked = inputMask[b * T + t];
      mask[(reverse ? T - 1 - t : t) * B + b] = masked;
      count += masked;
    }
  }
  return count;
}

/** Copy the rows r < rows of `from` (width n) with mask[r] = 0 to the start of `to`, in order; returns how many. */
export function keepUnmaskedRows(mask: Uint8Array, rows: number, from: TypedArray, to: TypedArray, n: number): number {
  let kept = 0;
  for (let r = 0; r < rows; r++) {
    if (mask[r] === 1) continue;
    for (let k = 0; k < n; k++) to[kept * n + k] = from[r * n + k];
    kept++;
  }
  return kept;
}

/** m[r, :] += v for each of the `rows` rows of width n. */
export function addRowVector(m: TypedArray, v: TypedArray, rows: number, n: number): void {
  for (let r = 0; r < rows; r++) {
    const row = r * n;
    for (let j = 0; j < n; j++) m[row + j] += v[j];
  }
}

/** out[j] = Σ_r m[r, j]. */
export function columnSums(m: TypedArray, out: TypedArray, rows: number, n: number): void {
  out.fill(0);
  for (let r = 0; r < rows; r++) {
    const row = r * n;
    for (let j = 0; j < n; j++) out[j] += m[row + j];
  }
}
