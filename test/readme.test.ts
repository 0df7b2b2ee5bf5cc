/**
 * The README's code runs: every ```ts block that starts with an import is a complete program,
 * written to a scratch module and imported (the package name resolves to src/, see vitest.config.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).filter((code) => code.startsWith('import '));
const scratch = mkdtempSync(join(root, 'test', '.readme-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('README code', () => {
  it('has runnable blocks', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
  });

  blocks.forEach((code, i) => {
    it(`block ${i + 1} runs (${code.split('\n')[0]})`, async () => {
      const file = join(scratch, `block-${i + 1}.ts`);
      writeFileSync(file, code);
      const printed: unknown[][] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(args));
      // A block that makes a folder in the temporary directory (the save example keeps its files,
      // as a user would) makes it inside the scratch folder, removed after the tests.
      const tmp = process.env.TMPDIR;
      process.env.TMPDIR = scratch;
      try {
        await import(file);
      } finally {
        log.mockRestore();
        if (tmp === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = tmp;
      }
      expect(printed.length).toBeGreaterThan(0);
      // What the comments promise, where the block says it.
      const text = printed.map((args) => args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')).join('\n');
      if (code.includes('model.summary()')) expect(text).toMatch(/lstm_1 \(LSTM\)\s+\(None, 25\)\s+3600[\s\S]*260[\s\S]*Total params: 3,860/);
      if (code.includes('// true')) {
        expect(printed.some((args) => args[0] === true)).toBe(true);
        expect(printed.some((args) => args[0] === false)).toBe(false);
      }
      if (code.includes('gradCheck(')) expect(Number(printed.find((args) => typeof args[0] === 'number')?.[0])).toBeLessThan(1e-6);
    });
  });
});
