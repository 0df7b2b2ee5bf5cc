/**
 * The docs cite source lines (docs/bptt.md maps each BPTT equation to the lines of
 * src/layers/lstm.ts that compute it). Every such link carries, as its title, a piece of the code
 * it points at: `[296–299](../src/layers/lstm.ts#L296-L299 "gemm(B, G, H")`. This test checks
 * each cited range exists and contains its snippet, so an edit that shifts the code fails here
 * until the doc is updated.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const docsDir = fileURLToPath(new URL('../docs/', import.meta.url));
const linkPattern = /\]\((\.\.\/(?:src|examples)\/[^#)\s]+)#L(\d+)(?:-L(\d+))?(?:\s+"([^"]+)")?\)/g;
/** A link whose text is a line range, `[296–299](…#L296-L299 …)` or `[lines 296–299](…)`: the text and the anchor. */
const rangeTextPattern = /\[(?:lines? )?(\d+)(?:–(\d+))?\]\(\.\.\/(?:src|examples)\/[^#)\s]+#L(\d+)(?:-L(\d+))?/g;

describe('source line references in docs/', () => {
  for (const file of readdirSync(docsDir).filter((f) => f.endsWith('.md'))) {
    const text = readFileSync(join(docsDir, file), 'utf8');
    const links = [...text.matchAll(linkPattern)];
    if (links.length === 0) continue;
    it(`${file}: every cited line range exists and holds the code its title quotes`, () => {
      for (const [whole, path, from, to, snippet] of links) {
        const source = readFileSync(resolve(docsDir, path), 'utf8').split('\n');
        const first = Number(from);
        const last = Number(to ?? from);
        expect(first, whole).toBeGreaterThanOrEqual(1);
        expect(last, whole).toBeGreaterThanOrEqual(first);
        expect(last, `${whole}: ${path} has ${source.length} lines`).toBeLessThanOrEqual(source.length);
        expect(snippet, `${whole}: give the link a title quoting the code it cites`).toBeDefined();
        const cited = source.slice(first - 1, last).join('\n');
        expect(cited.includes(snippet!), `${whole}: lines ${first}-${last} of ${path} do not contain ${JSON.stringify(snippet)}`).toBe(true);
      }
      // The range a reader sees is the range the link opens.
      for (const [whole, textFrom, textTo, from, to] of text.matchAll(rangeTextPattern)) {
        expect([textFrom, textTo ?? textFrom], whole).toEqual([from, to ?? from]);
      }
    });
  }
});

describe('docs/tutorials.md: the Keras T3 figures', () => {
  it('are those of examples/peers/t3-keras.results.jsonl (a Python run, committed: the doc types them)', () => {
    const lines = readFileSync(new URL('../examples/peers/t3-keras.results.jsonl', import.meta.url), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const runs = lines.filter((l) => 'seed' in l) as { seed: number; correct: number; heldOut: number }[];
    const summary = lines.find((l) => 'summary' in l);
    expect(runs.map((r) => r.seed)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const at100 = runs.filter((r) => r.correct === 100).length;
    const mean = runs.reduce((s, r) => s + r.heldOut, 0) / runs.length;
    expect(summary.seedsAt100).toBe(at100);
    expect(summary.meanHeldOut).toBeCloseTo(mean, 9);
    const groups = Array.from({ length: 10 }, (_, g) => runs.slice(5 * g, 5 * g + 5).filter((r) => r.correct === 100).length);
    const doc = readFileSync(join(docsDir, 'tutorials.md'), 'utf8');
    expect(doc).toContain(`| Keras ${summary.keras} / TensorFlow ${summary.tensorflow.replace(/\.0$/, '')} | ${at100} of 50 | ${(100 * mean).toFixed(2)}% |`);
    expect(doc).toContain(`Keras ${groups.join(', ')})`);
  });
});

describe('docs/tutorials.md: the tutorials in Keras itself', () => {
  it('each row is the tutorial report (docs/tutorial-results.md) beside examples/peers/keras-tutorials.results.jsonl', () => {
    const lines = readFileSync(new URL('../examples/peers/keras-tutorials.results.jsonl', import.meta.url), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const runs = lines.filter((l) => 'id' in l) as { id: string; seed: number; asOriginal: boolean; correct?: number; accuracy?: number }[];
    const versions = lines.find((l) => 'keras' in l);
    const report = readFileSync(join(docsDir, 'tutorial-results.md'), 'utf8');
    const doc = readFileSync(join(docsDir, 'tutorials.md'), 'utf8');
    expect(doc).toContain(`Keras ${versions.keras} on TensorFlow ${versions.tensorflow.replace(/\.0$/, '')}`);
    const ids = [...new Set(runs.map((r) => r.id))];
    expect(ids).toEqual(['T1', 'T1-bptt', 'T1-stateless', 'T2a', 'T2b', 'T2c', 'T2d', 'T2e', 'T2f', 'T2f-masked', 'T4-stateless', 'T4-stateful', 'T4-sequence']);
    for (const id of ids) {
      const ours = report.split('\n').find((l) => l.startsWith(`| ${id} |`))!.split(' | ');
      const [reportSeeds, mean, asOriginal] = [Number(ours[2]), ours[3], ours[6].split(' ')[0]];
      const keras = runs.filter((r) => r.id === id);
      // Seeds 1..n; fewer than the report's only where Keras takes too long (T2f: 3 of 90), and then said in the row.
      expect(keras.map((r) => r.seed), id).toEqual(Array.from({ length: keras.length }, (_, i) => i + 1));
      expect(keras.length, id).toBeLessThanOrEqual(reportSeeds);
      const seeds = keras.length === reportSeeds ? `${reportSeeds}` : `${reportSeeds} (Keras: ${keras.length})`;
      const score = (r: (typeof keras)[number]): number => r.accuracy ?? r.correct! / (id.startsWith('T1') ? 8 : 2);
      const kerasMean = `${((100 * keras.reduce((s, r) => s + score(r), 0)) / keras.length).toFixed(2)}%`;
      const kerasAsOriginal = `${keras.filter((r) => r.asOriginal).length}/${keras.length}`;
      expect(doc, `${id}: the row of docs/tutorials.md's Keras table is not what the report and the Keras results give (after a new report, update the lstm-ts columns)`).toContain(`| ${id} | ${seeds} | ${asOriginal} | ${mean} | ${kerasAsOriginal} | ${kerasMean} |`);
    }
  });
});
