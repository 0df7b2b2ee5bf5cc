/**
 * The fast GEMM kernels against the reference loops (src/tensor/gemm-reference.ts).
 *
 * Shapes are drawn around every blocking edge of the packed kernel (the 4×4 register tile, the
 * KC-deep slices, MC-tall and NC-wide blocks), with offsets, padded leading dimensions, all four
 * transpose cases and both accumulate modes, and run through each path (packed JavaScript, packed
 * WebAssembly SIMD (float32), unpacked rows-axpy and rows-dot in JavaScript and in WebAssembly
 * SIMD (float32)) directly as well as through the `gemm` entry point.
 *
 * Tolerances: float64 agrees to a few ulps per term; float32 to (k + 2)·2⁻²³ times Σ_p |A||B|
 * (plus |C| when accumulating): the reference rounds to float32 after every multiply-add, the
 * JavaScript kernels accumulate in double and round once per KC slice, the WebAssembly kernel
 * rounds to float32 after every multiply and every add, so each difference is bounded by that
 * many float32 roundings. No test here times anything.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { gemm, usePacked, type MatrixRef } from '../src/tensor/gemm.js';
import { gemmReference } from '../src/tensor/gemm-reference.js';
import { KC, MC, MR, NC, NR, gemmPacked, gemmRowsAxpy, gemmRowsDot } from '../src/tensor/gemm-kernels.js';
import { gemmPackedWasm, gemmRowsWasm } from '../src/tensor/gemm-wasm.js';
import type { TypedArray } from '../src/tensor/alloc.js';

type DType = 'float32' | 'float64';
type Path = 'entry' | 'packed' | 'wasm' | 'rows' | 'rowsWasm';

interface Case {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  accumulate: boolean;
  offset: number;
  pad: number;
  seed: number;
}

/** A dimension: small, or just around one of the kernel's block edges. */
function dimension(edges: number[]): fc.Arbitrary<number> {
  return fc.oneof(
    fc.integer({ min: 1, max: 9 }),
    fc.constantFrom(...edges.flatMap((e) => [e - 1, e, e + 1]).filter((d) => d >= 1)),
  );
}

const caseArbitrary = (maxWork: number): fc.Arbitrary<Case> =>
  fc
    .record({
      m: dimension([MR, 2 * MR, MC, MC + MR]),
      n: dimension([NR, 2 * NR, NC, 37]),
      k: dimension([KC, 2 * KC, 17]),
      transA: fc.boolean(),
      transB: fc.boolean(),
      accumulate: fc.boolean(),
      offset: fc.integer({ min: 0, max: 5 }),
      pad: fc.integer({ min: 0, max: 3 }),
      seed: fc.integer({ min: 1, max: 1 << 30 }),
    })
    .filter((c) => c.m * c.n * c.k <= maxWork);

function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
}

/** A rows×cols matrix at `offset` with leading dimension cols + pad; everything else NaN, so stray reads show. */
function storeRandom(dtype: DType, rows: number, cols: number, offset: number, pad: number, next: () => number): { data: TypedArray; ld: number } {
  const ld = cols + pad;
  const length = offset + rows * ld + 3;
  const data = dtype === 'float64' ? new Float64Array(length) : new Float32Array(length);
  data.fill(NaN);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[offset + i * ld + j] = next();
  return { data, ld };
}

function run(path: Path, dtype: DType, t: Case): void {
  const { m, n, k, transA, transB, accumulate, offset, pad } = t;
  const next = lcg(t.seed);
  const A = storeRandom(dtype, transA ? k : m, transA ? m : k, offset, pad, next);
  const B = storeRandom(dtype, transB ? n : k, transB ? k : n, offset + 1, pad, next);
  const C = storeRandom(dtype, m, n, offset + 2, pad, next);
  const a: MatrixRef = { data: A.data, offset, ld: A.ld, transpose: transA };
  const b: MatrixRef = { data: B.data, offset: offset + 1, ld: B.ld, transpose: transB };
  const cFast: MatrixRef = { data: C.data.slice(), offset: offset + 2, ld: C.ld };
  const cRef: MatrixRef = { data: C.data.slice(), offset: offset + 2, ld: C.ld };

  gemmReference(m, n, k, a, b, cRef, accumulate);
  if (path === 'entry') {
    gemm(m, n, k, a, b, cFast, accumulate);
  } else {
    // The kernels accumulate; the entry point zeroes C first when asked to overwrite, except for
    // the packed WebAssembly kernel, which overwrites C itself (C holds random values here).
    if (!accumulate && path !== 'wasm') for (let i = 0; i < m; i++) cFast.data.fill(0, cFast.offset + i * C.ld, cFast.offset + i * C.ld + n);
    const sai = transA ? 1 : A.ld;
    const sap = transA ? A.ld : 1;
    if (path === 'rowsWasm') {
      gemmRowsWasm(m, n, k, A.data, offset, sai, sap, B.data, offset + 1, B.ld, transB, cFast.data, offset + 2, C.ld);
    } else if (path === 'wasm') {
      gemmPackedWasm(m, n, k, A.data, offset, sai, sap, B.data, offset + 1, transB ? 1 : B.ld, transB ? B.ld : 1, cFast.data, offset + 2, C.ld, accumulate);
    } else if (path === 'packed') {
      gemmPacked(m, n, k, A.data, offset, sai, sap, B.data, offset + 1, transB ? 1 : B.ld, transB ? B.ld : 1, cFast.data, offset + 2, C.ld);
    } else if (transB) {
      gemmRowsDot(m, n, k, A.data, offset, sai, sap, B.data, offset + 1, B.ld, cFast.data, offset + 2, C.ld);
    } else {
      gemmRowsAxpy(m, n, k, A.data, offset, sai, sap, B.data, offset + 1, B.ld, cFast.data, offset + 2, C.ld);
    }
  }

  const unit = dtype === 'float64' ? 2 ** -52 : 2 ** -23;
  const opA = (i: number, p: number) => A.data[offset + (transA ? p * A.ld + i : i * A.ld + p)];
  const opB = (p: number, j: number) => B.data[offset + 1 + (transB ? j * B.ld + p : p * B.ld + j)];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const at = offset + 2 + i * C.ld + j;
      let magnitude = accumulate ? Math.abs(C.data[at]) : 0;
      for (let p = 0; p < k; p++) magnitude += Math.abs(opA(i, p) * opB(p, j));
      const tolerance = (k + 2) * unit * magnitude + Number.MIN_VALUE;
      const got = cFast.data[at];
      const want = cRef.data[at];
      if (!(Math.abs(got - want) <= tolerance)) {
        throw new Error(`${path} ${dtype} m=${m} n=${n} k=${k} transA=${transA} transB=${transB} accumulate=${accumulate}: C[${i},${j}] = ${got}, reference ${want} (tolerance ${tolerance})`);
      }
    }
  }
  // Nothing outside C's m×n block is written: the padding, the offset and the tail stay NaN.
  for (let at = 0; at < cFast.data.length; at++) {
    const inside = at >= offset + 2 && (at - offset - 2) % C.ld < n && Math.floor((at - offset - 2) / C.ld) < m;
    if (!inside && !Number.isNaN(cFast.data[at])) throw new Error(`${path} ${dtype}: wrote outside C at index ${at}`);
  }
}

describe('fast GEMM equals the reference', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    for (const path of ['entry', 'packed', 'wasm', 'rows', 'rowsWasm'] as const) {
      if ((path === 'wasm' || path === 'rowsWasm') && dtype === 'float64') continue; // the SIMD kernels are float32 only
      it(`${path} path, ${dtype}: random shapes around the block edges, offsets, leading dimensions, transposes, accumulate (property)`, () => {
        fc.assert(fc.property(caseArbitrary(path === 'rows' || path === 'rowsWasm' ? 300_000 : 1_500_000), (t) => run(path, dtype, t)), { numRuns: path === 'entry' ? 120 : 80 });
      });
    }
  }

  it('covers the shapes the layers multiply (W1, W4 and a cut-down W5), every transpose case, both dtypes', () => {
    const shapes: [number, number, number][] = [
      [1, 80, 20], [1, 20, 80], [5, 80, 1], [20, 80, 1], // W1: batch 1
      [32, 512, 128], [32, 128, 512], [128, 512, 32], [1600, 32, 64], // W4-like
      [64, 300, 257], [130, 260, 65], // blocks with ragged edges in every direction
    ];
    let seed = 1;
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [m, n, k] of shapes) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            run('entry', dtype, { m, n, k, transA, transB, accumulate: seed % 2 === 0, offset: seed % 3, pad: seed % 2, seed: seed++ });
          }
        }
      }
    }
  });

  it('a remembered packing of B (the recurrent kernel across time steps) gives the bits of packing afresh, and only for that B', () => {
    const next = lcg(99);
    const [m, n, k] = [8, 40, 300]; // k over KC and n over NR: several slices and panels
    const random = (size: number) => Float32Array.from({ length: size }, next);
    const [a1, a2, b1, b2] = [random(m * k), random(m * k), random(k * n), random(k * n)];
    const product = (a: Float32Array, b: Float32Array, packing?: 'remember' | 'reuse', transB = false) => {
      const c = new Float32Array(m * n);
      gemm(m, n, k, { data: a, offset: 0, ld: k }, { data: b, offset: 0, ld: transB ? k : n, transpose: transB, packing }, { data: c, offset: 0, ld: n }, false);
      return Array.from(c);
    };
    expect(usePacked(m, n, k)).toBe(true);
    expect(product(a1, b1, 'remember')).toEqual(product(a1, b1));
    expect(product(a2, b1, 'reuse')).toEqual(product(a2, b1)); // reused
    expect(product(a2, b2, 'reuse')).toEqual(product(a2, b2)); // another B: packed again, not reused
    expect(product(a1, b1, 'reuse', true)).toEqual(product(a1, b1, undefined, true)); // same array, transposed: packed again
  });

  it('the unpacked WebAssembly path remembers B the same way: reused bits equal fresh ones, and only for that B', () => {
    const next = lcg(5);
    const [m, n, k] = [1, 100, 25]; // the echo problem's recurrent step: batch 1, 4·25 gates
    const random = (size: number) => Float32Array.from({ length: size }, next);
    const [a1, a2, b1, b2] = [random(m * k), random(m * k), random(k * n), random(k * n)];
    const product = (a: Float32Array, b: Float32Array, packing?: 'remember' | 'reuse', transB = false) => {
      const c = new Float32Array(m * (transB ? k : n));
      const [rows, cols, depth] = transB ? [m, k, n] : [m, n, k]; // transposed: a [1, 100] times bᵀ [100, 25]
      const aUsed = transB ? Float32Array.from({ length: n }, (_, i) => a[i % k] * 0.5) : a;
      gemm(rows, cols, depth, { data: aUsed, offset: 0, ld: depth }, { data: b, offset: 0, ld: transB ? n : n, transpose: transB, packing }, { data: c, offset: 0, ld: cols }, false);
      return Array.from(c);
    };
    expect(usePacked(m, n, k)).toBe(false);
    expect(product(a1, b1, 'remember')).toEqual(product(a1, b1));
    expect(product(a2, b1, 'reuse')).toEqual(product(a2, b1)); // reused
    expect(product(a2, b2, 'reuse')).toEqual(product(a2, b2)); // another B: copied again, not reused
    expect(product(a1, b1, 'reuse', true)).toEqual(product(a1, b1, undefined, true)); // same array, transposed: copied again
    expect(product(a2, b1, 'reuse', true)).toEqual(product(a2, b1, undefined, true));
  });

  it('uses the unpacked path for batch-1 products and the packed path for the large ones', () => {
    expect(usePacked(1, 2048, 512)).toBe(false); // matrix times vector
    expect(usePacked(1, 80, 20)).toBe(false);
    expect(usePacked(64, 2048, 512)).toBe(true); // W5 recurrent step
    expect(usePacked(6400, 2048, 128)).toBe(true); // W5 input projection
  });

  it('treats zero as zero: an all-zero A gives exactly C (or 0), and one-hot rows pick rows of B exactly', () => {
    // One-hot A rows (the tutorials' inputs) select rows of B: the product must be those rows, bit for bit.
    const k = 10;
    const n = 100;
    const next = lcg(7);
    const b = new Float32Array(k * n).map(() => next());
    for (const m of [1, 5, 64]) {
      const a = new Float32Array(m * k);
      for (let i = 0; i < m; i++) a[i * k + (i % k)] = 1;
      const c = new Float32Array(m * n);
      gemm(m, n, k, { data: a, offset: 0, ld: k }, { data: b, offset: 0, ld: n }, { data: c, offset: 0, ld: n }, false);
      for (let i = 0; i < m; i++) expect(Array.from(c.subarray(i * n, (i + 1) * n))).toEqual(Array.from(b.subarray((i % k) * n, (i % k + 1) * n)));
    }
  });
});
