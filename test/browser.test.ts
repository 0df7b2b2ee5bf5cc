/**
 * The core library runs in browsers: src/index.ts bundled for the browser (esbuild, platform
 * 'browser', which refuses to resolve any Node module such as node:fs) and run in a fresh V8
 * context that has only what a browser page has (no process, require, Buffer, module, global).
 * There the same seeded training must give exactly the bits it gives in Node, which also shows
 * that the WebAssembly kernels compiled there (their float32 products round differently from the
 * JavaScript fallback's), and a verbose fit must print its progress through console.log.
 * The same bundle also runs in pages that are harder on it, training to the same bits: one with
 * WebAssembly switched off (no `WebAssembly` global: the JavaScript kernels), one under a Content
 * Security Policy without 'unsafe-eval' (V8's ban on code generation from strings: `eval` and
 * `new Function` throw, so importing the core must evaluate no string as code), one whose policy
 * lacks 'wasm-unsafe-eval' too, and one with both WebAssembly removed and strings banned.
 */
import { build } from 'esbuild';
import { createContext, runInContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as library from '../src/index.js';

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));

/**
 * One program, run against whichever copy of the library it is given: seeded training of a
 * small stateful LSTM, a prediction, a save / load round trip; returns every float's bits as hex.
 */
function program(lstm: typeof library): string {
  const { Sequential, LSTM, Dense, Adam, oneHot, setSeed } = lstm;
  setSeed(11);
  const x = oneHot([[3], [0], [1], [2]], 5); // [4, 1, 5]
  const y = oneHot([0, 1, 2, 3], 5); //         [4, 5]
  const model = new Sequential([new LSTM({ units: 12, batchInputShape: [1, 1, 5], stateful: true }), new Dense({ units: 5, activation: 'softmax' })]);
  model.compile({ optimizer: new Adam(), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  for (let epoch = 0; epoch < 20; epoch++) {
    model.fit(x, y, { epochs: 1, batchSize: 1, shuffle: false, verbose: 0 });
    model.resetStates();
  }
  const predicted = model.predict(x);
  model.resetStates();
  const again = Sequential.fromJSON(JSON.stringify(model.toJSON()));
  const predictedAgain = again.predict(x);
  const floats = [...model.getWeights().flatMap((w) => Array.from(w.data)), ...Array.from(predicted.data), ...Array.from(predictedAgain.data)];
  return floats.map((v) => new Uint32Array(new Float32Array([v]).buffer)[0].toString(16)).join(' ');
}

let bundled = '';
beforeAll(async () => {
  const result = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'iife', globalName: 'lstm', target: 'es2022', write: false, logLevel: 'silent' });
  bundled = result.outputFiles[0].text;
}, 60_000);

/**
 * A context with a browser page's globals (the JavaScript built-ins, WebAssembly among them, come
 * with every context). `withoutWasm`: a page with WebAssembly switched off (no `WebAssembly`
 * global). `strictCsp`: a page under `script-src 'self' 'wasm-unsafe-eval'`, where `eval` and
 * `new Function` throw an EvalError (V8's own switch for it: no code generation from strings)
 * and WebAssembly still compiles (`wasmEval` false: nor does WebAssembly, a policy without
 * 'wasm-unsafe-eval').
 */
function browserLikeContext(printed: string[], { withoutWasm = false, strictCsp = false, wasmEval = true } = {}): object {
  const context = createContext(
    { atob, btoa, performance, TextEncoder, TextDecoder, console: { log: (...args: unknown[]) => printed.push(args.join(' ')), warn: () => {}, error: () => {} } },
    strictCsp ? { codeGeneration: { strings: false, wasm: wasmEval } } : {},
  );
  if (withoutWasm) runInContext('delete globalThis.WebAssembly', context);
  return context;
}

describe('in a browser', () => {
  it('the bundle needs no Node module, and the page has no Node globals', () => {
    expect(bundled.length).toBeGreaterThan(10_000);
    const context = browserLikeContext([]);
    runInContext(bundled, context);
    expect(runInContext('[typeof process, typeof require, typeof Buffer, typeof module, typeof global, typeof WebAssembly, typeof lstm.Sequential].join()', context)).toBe(
      'undefined,undefined,undefined,undefined,undefined,object,function',
    );
  });

  it('seeded training, prediction and a JSON round trip give the same bits as in Node', () => {
    const context = browserLikeContext([]);
    runInContext(bundled, context);
    const inBrowser = runInContext(`(${program.toString()})(lstm)`, context) as string;
    const inNode = program(library);
    expect(inBrowser.split(' ').length).toBe(4 * 12 * (5 + 12 + 1) + 5 * 13 + 2 * 4 * 5);
    expect(inBrowser).toBe(inNode);
  });

  it('with WebAssembly switched off, the same training gives the same bits as in Node (the JavaScript kernels; every product here is unpacked)', () => {
    const context = browserLikeContext([], { withoutWasm: true });
    runInContext(bundled, context);
    expect(runInContext('typeof WebAssembly', context)).toBe('undefined');
    expect(runInContext(`(${program.toString()})(lstm)`, context)).toBe(program(library));
  });

  it('under a Content Security Policy without unsafe-eval, the core loads and trains to the same bits as in Node', () => {
    const context = browserLikeContext([], { strictCsp: true });
    // The ban is real: a string evaluated as code throws, while WebAssembly still compiles.
    expect(() => runInContext('new Function("return 1")', context)).toThrow(/Code generation from strings disallowed/);
    expect(() => runInContext('eval("1")', context)).toThrow(/Code generation from strings disallowed/);
    runInContext(bundled, context);
    expect(runInContext(`(${program.toString()})(lstm)`, context)).toBe(program(library));
    // The one call that needs code from strings (README): ndarray compiles its view class.
    expect(() => runInContext('lstm.tensor([1, 2]).toNdarray()', context)).toThrow(/Code generation from strings disallowed/);
    expect(Array.from(library.tensor([1, 2]).toNdarray().data)).toEqual([1, 2]);
  });

  it("under a policy without 'wasm-unsafe-eval' either (WebAssembly present but refusing to compile), the same bits on the JavaScript kernels", () => {
    const context = browserLikeContext([], { strictCsp: true, wasmEval: false });
    expect(() => runInContext('new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))', context)).toThrow(/disallowed/);
    runInContext(bundled, context);
    expect(runInContext(`(${program.toString()})(lstm)`, context)).toBe(program(library));
  });

  it('both at once: no WebAssembly and no code from strings', () => {
    const context = browserLikeContext([], { withoutWasm: true, strictCsp: true });
    runInContext(bundled, context);
    expect(runInContext(`(${program.toString()})(lstm)`, context)).toBe(program(library));
  });

  it('a verbose fit prints its progress with console.log (there is no stderr)', () => {
    const printed: string[] = [];
    const context = browserLikeContext(printed);
    runInContext(bundled, context);
    runInContext(
      `const { Sequential, Dense, SGD, tensor } = lstm;
       const model = new Sequential([new Dense({ units: 1, inputShape: [2] })]);
       model.compile({ optimizer: new SGD(), loss: 'meanSquaredError' });
       model.fit(tensor([[1, 2], [3, 4]]), tensor([[1], [2]]), { epochs: 2, batchSize: 2, verbose: 1 });`,
      context,
    );
    expect(printed.filter((line) => /^Epoch [12]\/2$/.test(line))).toHaveLength(2);
    expect(printed.filter((line) => /^1\/1 \[=+\] - .* - loss: \d+\.\d{4}$/.test(line))).toHaveLength(2);
  });
});
