/**
 * Adam's float32 update in WebAssembly SIMD (adam.wat: four weights per instruction), for an
 * optimizer whose parameters are all float32. Its moment estimates m and v live in the module's
 * memory for the optimizer's whole life; each update copies the weights and gradients in, runs
 * the kernel once over all of them, and copies the weights out, except in a model's training
 * step, where the model's weights and gradients live in this memory themselves (adam.ts, hosting).
 *
 * The kernel does the same float32 operations in the same order as adam.ts' `adamFloat32` loop,
 * so the two give the same bits; where WebAssembly SIMD is unavailable (an old browser), Adam
 * runs that loop instead and training gives the same numbers.
 */
import { compileKernel, instantiateKernel, wasmMemory } from '../../base/wasm.js';
import { ADAM_WASM_BASE64 } from './adam-binary.js';

type AdamKernel = (w: number, g: number, m: number, v: number, keep: number, n: number, lrT: number, b1: number, c1: number, b2: number, c2: number, eps: number) => number;

/** The compiled module; null where WebAssembly (SIMD) is unavailable; undefined until first asked. */
let compiled: WebAssembly.Module | null | undefined;

function adamModule(): WebAssembly.Module | null {
  if (compiled === undefined) compiled = compileKernel(ADAM_WASM_BASE64);
  return compiled;
}

/** True where the SIMD kernel can run (exported for the tests). */
export function adamWasmAvailable(): boolean {
  return adamModule() !== null;
}

/**
 * One optimizer's kernel instance and memory: float32 regions of `size` elements each, w and g
 * (staged per update), m and v (resident), then `kept`: w, m and v as they were before the last
 * update (the kernel stores them as it reads them), to undo it. The memory never grows, so views
 * stay valid.
 */
export class AdamWasm {
  readonly weights: Float32Array;
  readonly gradients: Float32Array;
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** m and v together (they are adjacent): 2·size elements, for one copy of both. */
  readonly moments: Float32Array;
  /** w, m, v before the last run (3·size elements, in that order), written by the kernel. */
  readonly kept: Float32Array;
  private readonly kernel: AdamKernel;

  private constructor(readonly size: number, memory: WebAssembly.Memory, kernel: AdamKernel) {
    const bytes = size * 4;
    this.weights = new Float32Array(memory.buffer, 0, size);
    this.gradients = new Float32Array(memory.buffer, bytes, size);
    this.m = new Float32Array(memory.buffer, 2 * bytes, size);
    this.v = new Float32Array(memory.buffer, 3 * bytes, size);
    this.moments = new Float32Array(memory.buffer, 2 * bytes, 2 * size);
    this.kept = new Float32Array(memory.buffer, 4 * bytes, 3 * size);
    this.kernel = kernel;
  }

  /** An instance for `size` weights in all, or null where WebAssembly SIMD is unavailable. */
  static create(size: number): AdamWasm | null {
    const module = adamModule();
    if (module === null) return null;
    const memory = wasmMemory(Math.max(1, Math.ceil((28 * size) / 65536)));
    if (memory === null) return null;
    const exports = instantiateKernel(module, { env: { memory } });
    if (exports === null) return null;
    return new AdamWasm(size, memory, exports.adam as AdamKernel);
  }

  /**
   * The update over all `size` staged weights: w, m, v in place (constants as adam.ts passes them).
   * Returns 0 when every new w, m and v is finite, else NaN (adam.wat sums x·0 over them); `kept`
   * then holds what they were.
   */
  run(lrT: number, b1: number, c1: number, b2: number, c2: number, eps: number): number {
    const bytes = this.size * 4;
    return this.kernel(0, bytes, 2 * bytes, 3 * bytes, 4 * bytes, this.size, lrT, b1, c1, b2, c2, eps);
  }

  /** Put w, m and v back as they were before the last run. */
  undo(): void {
    this.weights.set(this.kept.subarray(0, this.size));
    this.moments.set(this.kept.subarray(this.size));
  }
}
