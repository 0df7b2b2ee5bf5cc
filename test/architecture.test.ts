/**
 * The parts of src/ and which way they lean (docs/architecture.md): every import of every file
 * is read and checked against the picture's arrows; no two files may import each other, however
 * indirectly. A failure names the file, the line and the arrow it would add.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../src/', import.meta.url));

/** The part a file belongs to: its folder under src/ (layers/recurrent is a part of its own), or the entry point it is. */
export function partOf(file: string): string {
  const rel = relative(src, file).split(/[\\/]/);
  if (rel.length === 1) return rel[0].replace(/\.ts$/, ''); // index, node
  if (rel[0] === 'layers' && rel[1] === 'recurrent') return 'layers/recurrent';
  return rel[0];
}

/** What each part may import besides itself (docs/architecture.md; transitively downward). */
export const ALLOWED: Record<string, readonly string[]> = {
  base: [],
  tensor: ['base'],
  'layers/recurrent': ['layers', 'tensor', 'base'], // 'layers' only for the layer contract (checked below)
  layers: ['layers/recurrent', 'tensor', 'base'],
  losses: ['tensor', 'base'],
  optim: ['tensor', 'base'],
  data: ['tensor', 'base'],
  check: ['layers', 'layers/recurrent', 'losses', 'tensor', 'base'],
  model: ['check', 'layers', 'layers/recurrent', 'losses', 'optim', 'data', 'tensor', 'base'],
  io: ['model', 'check', 'layers', 'layers/recurrent', 'losses', 'optim', 'data', 'tensor', 'base'],
  index: ['io', 'model', 'check', 'layers', 'layers/recurrent', 'losses', 'optim', 'data', 'tensor', 'base'],
  node: ['io', 'model', 'check', 'layers', 'layers/recurrent', 'losses', 'optim', 'data', 'tensor', 'base'],
};
/** The files of `layers` that layers/recurrent may import: the layer contract. */
const LAYER_CONTRACT = ['layers/layer.ts'];

interface Import {
  from: string;
  line: number;
  target: string; // a file under src/, or a bare module name
  typeOnly: boolean;
}

export function importsOf(file: string, text = readFileSync(file, 'utf8')): Import[] {
  const out: Import[] = [];
  const pattern = /^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (const match of text.matchAll(pattern)) {
    const spec = match[3];
    const line = text.slice(0, match.index).split('\n').length;
    const target = spec.startsWith('.') ? resolve(dirname(file), spec.replace(/\.js$/, '.ts')) : spec;
    out.push({ from: file, line, target, typeOnly: match[2] !== undefined });
  }
  // dynamic imports count too
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    const spec = match[1];
    const line = text.slice(0, match.index).split('\n').length;
    out.push({ from: file, line, target: spec.startsWith('.') ? resolve(dirname(file), spec.replace(/\.js$/, '.ts')) : spec, typeOnly: false });
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** Every arrow the picture does not allow, as "file:line: part -> part (what)". */
export function forbiddenArrows(files: string[], read: (f: string) => string = (f) => readFileSync(f, 'utf8')): string[] {
  const problems: string[] = [];
  for (const file of files) {
    for (const imp of importsOf(file, read(file))) {
      const where = `src/${relative(src, file)}:${imp.line}`;
      if (!imp.target.startsWith('/')) {
        if ((imp.target.startsWith('node:') || ['fs', 'path', 'os', 'worker_threads', 'url', 'child_process'].includes(imp.target)) && partOf(file) !== 'node') {
          problems.push(`${where}: imports the Node module '${imp.target}' (only src/node.ts may)`);
        }
        continue;
      }
      const from = partOf(file);
      const to = partOf(imp.target);
      if (from === to) continue;
      if (!ALLOWED[from]?.includes(to)) problems.push(`${where}: ${from} -> ${to} (${relative(src, imp.target)}) is not an arrow of docs/architecture.md`);
      else if (from === 'layers/recurrent' && to === 'layers' && !LAYER_CONTRACT.includes(relative(src, imp.target).replace(/\\/g, '/'))) {
        problems.push(`${where}: layers/recurrent -> ${relative(src, imp.target)}: the recurrent core may use only the layer contract (${LAYER_CONTRACT.join(', ')})`);
      }
    }
  }
  return problems;
}

/** Every import cycle among the files, as "a -> b -> ... -> a" (type-only imports included: they tie the files together as much). */
export function cycles(files: string[], read: (f: string) => string = (f) => readFileSync(f, 'utf8')): string[] {
  const graph = new Map(files.map((f) => [f, importsOf(f, read(f)).map((i) => i.target).filter((t) => files.includes(t))]));
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const next of graph.get(f) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next].map((p) => relative(src, p)).join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return found;
}

describe('architecture: the parts of src/ and which way they lean (docs/architecture.md)', () => {
  const files = sourceFiles(src);

  it('every file belongs to a part of the picture', () => {
    expect(files.map((f) => `${relative(src, f)}: ${partOf(f)}`).filter((line) => !(line.split(': ')[1] in ALLOWED))).toEqual([]);
  });

  it('every import follows an arrow of the picture (and Node modules only in src/node.ts)', () => {
    expect(forbiddenArrows(files)).toEqual([]);
  });

  it('no import cycle', () => {
    expect(cycles(files)).toEqual([]);
  });

  it('the checks catch what they are for: an upward import, a Node import in the core, a cycle (on made-up files)', () => {
    const fake = (rel: string): string => join(src, rel);
    const texts: Record<string, string> = {
      [fake('tensor/a.ts')]: "import { Sequential } from '../model/sequential.js';\n",
      [fake('layers/b.ts')]: "import { readFileSync } from 'node:fs';\nimport { x } from './c.js';\n",
      [fake('layers/c.ts')]: "import type { y } from './b.js';\n",
      [fake('layers/recurrent/d.ts')]: "import { LSTM } from '../lstm.js';\n",
    };
    const read = (f: string): string => texts[f];
    const list = Object.keys(texts);
    expect(forbiddenArrows(list, read)).toEqual([
      'src/tensor/a.ts:1: tensor -> model (model/sequential.ts) is not an arrow of docs/architecture.md',
      "src/layers/b.ts:1: imports the Node module 'node:fs' (only src/node.ts may)",
      'src/layers/recurrent/d.ts:1: layers/recurrent -> layers/lstm.ts: the recurrent core may use only the layer contract (layers/layer.ts)',
    ]);
    expect(cycles(list, read)).toEqual(['layers/b.ts -> layers/c.ts -> layers/b.ts']);
  });
});
