/** Types of build-wasm.mjs, for the test that checks the committed modules against their sources. */
export interface Kernel {
  wat: string;
  ts: string;
  name: string;
  what: string;
}
export const KERNELS: Kernel[];
export function assemble(watPath: string): Promise<string>;
export function binaryModuleSource(kernel: Kernel, base64: string): string;
