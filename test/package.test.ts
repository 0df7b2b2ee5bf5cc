/**
 * The package as npm users get it: `npm pack` (whose prepack script builds dist/), the tarball
 * unpacked into a fresh project's node_modules beside exactly the packages its `dependencies`
 * name (linked from this checkout's node_modules, so nothing is downloaded), then:
 * - a plain ESM program imports 'lstm-ts' and 'lstm-ts/node', trains, saves, loads, predicts;
 * - the built entry point exports exactly what src/index.ts does, and internals stay closed;
 * - a strict TypeScript project (skipLibCheck off, no @types/node: a browser app) type-checks
 *   against the shipped declarations with nothing installed but the package and its dependencies.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as source from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
let scratch = '';
let app = '';

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'lstm-ts-package-'));
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', scratch], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop()!;
  app = join(scratch, 'app');
  const installed = join(app, 'node_modules', 'lstm-ts');
  mkdirSync(installed, { recursive: true });
  execFileSync('tar', ['-xzf', join(scratch, tarball), '-C', installed, '--strip-components=1']);
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    const link = join(app, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(root, 'node_modules', name), link, 'dir');
  }
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
}, 120_000);

afterAll(() => {
  if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
});

/** Run `code` as an ES module inside the consumer project; returns what it printed. */
function runInApp(file: string, code: string): string {
  writeFileSync(join(app, file), code);
  return execFileSync(process.execPath, [file], { cwd: app, encoding: 'utf8' });
}

describe('the npm package', () => {
  it('a plain ESM program imports lstm-ts and lstm-ts/node, trains, saves and loads', () => {
    const printed = runInApp(
      'train.mjs',
      `import { Sequential, LSTM, Dense, Adam, oneHot, setSeed } from 'lstm-ts';
       import { save, load } from 'lstm-ts/node';
       setSeed(3);
       const x = oneHot([[1, 2, 3], [3, 2, 1]], 4);
       const y = oneHot([0, 1], 2);
       const model = new Sequential([new LSTM({ units: 6, inputShape: [3, 4] }), new Dense({ units: 2, activation: 'softmax' })]);
       model.compile({ optimizer: new Adam({ learningRate: 0.05 }), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
       const history = model.fit(x, y, { epochs: 40, batchSize: 2, verbose: 0 });
       await save(model, 'model.json');
       const loaded = await load('model.json');
       const same = loaded.predict(x).data.every((v, i) => v === model.predict(x).data[i]);
       console.log(JSON.stringify({ first: history.history.loss[0], last: history.history.loss[39], accuracy: model.evaluate(x, y).accuracy, same }));`,
    );
    const result = JSON.parse(printed) as { first: number; last: number; accuracy: number; same: boolean };
    expect(result.last).toBeLessThan(result.first / 4);
    expect(result.accuracy).toBe(1);
    expect(result.same).toBe(true);
  });

  it('exports exactly what src/index.ts exports; internal modules cannot be imported', () => {
    const printed = runInApp(
      'exports.mjs',
      `const api = await import('lstm-ts');
       let internal = 'imported';
       try { await import('lstm-ts/dist/layers/lstm.js'); } catch (error) { internal = error.code; }
       console.log(JSON.stringify({ names: Object.keys(api).sort(), internal }));`,
    );
    const { names, internal } = JSON.parse(printed) as { names: string[]; internal: string };
    expect(names).toEqual(Object.keys(source).sort());
    expect(internal).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('a strict TypeScript browser project type-checks against the shipped declarations (skipLibCheck off, no @types/node)', () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'DOM'], strict: true, noEmit: true, skipLibCheck: false, types: [] }, files: ['app.ts'] }),
    );
    writeFileSync(
      join(app, 'app.ts'),
      `import { Sequential, LSTM, Dense, Adam, tensor, type Tensor, type History } from 'lstm-ts';
       const model = new Sequential([new LSTM({ units: 4, inputShape: [2, 3] }), new Dense({ units: 1, activation: 'sigmoid' })]);
       model.compile({ optimizer: new Adam(), loss: 'binaryCrossentropy' });
       const x: Tensor = tensor([[[0, 1, 0], [1, 0, 0]]]);
       const history: History = model.fit(x, [[1]], { epochs: 1, verbose: 0 });
       const losses: number[] = history.history.loss;
       const view = x.toNdarray();
       const first: number = view.get(0, 0, 1);
       // @ts-expect-error units must be a number
       new LSTM({ units: 'four' });
       export { losses, first };`,
    );
    let output = '';
    try {
      execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
  }, 60_000);
});
