/** Types of build-wasm.mjs, for the test that checks the committed module against its source. */
export function assemble(watPath: string): Promise<string>;
export function binaryModuleSource(base64: string): string;
