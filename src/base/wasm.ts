/**
 * Compiling the library's WebAssembly kernels (src/optim/wasm, src/tensor/wasm, src/layers/recurrent/wasm):
 * each is a small module shipped as base64 in a generated .ts file, compiled synchronously on
 * first use (each is under 4 KiB, the most some browsers compile synchronously on the main
 * thread; test/wasm-kernels.test.ts checks it). Where WebAssembly or its SIMD instructions are
 * unavailable, `compileKernel` returns null and the caller keeps its JavaScript loop.
 *
 * "Unavailable" covers every way an environment can lack it: no `WebAssembly` global at all
 * (`node --jitless`, a browser with WebAssembly switched off), a `WebAssembly` that refuses to
 * compile (a Content Security Policy without 'wasm-unsafe-eval'), no SIMD, or an engine that
 * refuses one more memory. Nothing here or in a caller names `WebAssembly` before one of these
 * functions has said it is there: `wasmMemory` and `instantiateKernel` return null instead of
 * throwing, so a kernel's creation can fall back at any step (test/environments.test.ts).
 */
export function compileKernel(base64: string): WebAssembly.Module | null {
  try {
    if (!wasmPresent() || typeof atob !== 'function') return null;
    const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
    return WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    return null;
  }
}

/** A new memory of `pages` 64 KiB pages, or null where WebAssembly is absent or the engine refuses it. */
export function wasmMemory(pages: number): WebAssembly.Memory | null {
  try {
    return wasmPresent() ? new WebAssembly.Memory({ initial: pages }) : null;
  } catch {
    return null;
  }
}

/** An instance of a module compiled by compileKernel, or null where the engine refuses to make one. */
export function instantiateKernel(module: WebAssembly.Module, imports: WebAssembly.Imports): WebAssembly.Exports | null {
  try {
    return new WebAssembly.Instance(module, imports).exports;
  } catch {
    return null;
  }
}

/** The `WebAssembly` global with the constructors the kernels use (its absence is not an error). */
function wasmPresent(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly !== null
    && typeof WebAssembly.Module === 'function' && typeof WebAssembly.Instance === 'function'
    && typeof WebAssembly.Memory === 'function' && typeof WebAssembly.validate === 'function';
}
