/**
 * Compiling the library's WebAssembly kernels (src/optim/wasm, src/tensor/wasm, src/layers/recurrent/wasm):
 * each is a small module shipped as base64 in a generated .ts file, compiled synchronously on
 * first use (each is under 4 KiB, the most some browsers compile synchronously on the main
 * thread; test/wasm-kernels.test.ts checks it). Where WebAssembly or its SIMD instructions are
 * unavailable, `compileKernel` returns null and the caller keeps its JavaScript loop.
 */
export function compileKernel(base64: string): WebAssembly.Module | null {
  try {
    if (typeof WebAssembly !== 'object' || typeof atob !== 'function') return null;
    const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
    return WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  } catch {
    return null;
  }
}
