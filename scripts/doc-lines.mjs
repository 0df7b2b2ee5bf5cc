#!/usr/bin/env node
// Re-point the source line links in docs/*.md after the code moved: every link
// `[12–14](../src/x.ts#L12-L14 "a snippet")` is moved to the line that holds its snippet (the
// occurrence nearest the old line, when there are several), keeping its span, and a link text
// that is the line range is rewritten to match. Refuses, naming the link, when a snippet is gone.
// test/docs.test.ts checks the result. Usage: node scripts/doc-lines.mjs [--check]
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const docsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs');
const link = /\[([^\]]*)\]\((\.\.\/(?:src|examples)\/[^#)\s]+)#L(\d+)(?:-L(\d+))?\s+"([^"]+)"\)/g;
const check = process.argv.includes('--check');
let failures = 0;
let moved = 0;
for (const file of readdirSync(docsDir).filter((f) => f.endsWith('.md'))) {
  const path = join(docsDir, file);
  const text = readFileSync(path, 'utf8');
  const out = text.replace(link, (whole, label, target, from, to, snippet) => {
    const lines = readFileSync(resolve(docsDir, target), 'utf8').split('\n');
    const first = Number(from);
    const span = Number(to ?? from) - first;
    const hits = lines.flatMap((line, k) => (line.includes(snippet) ? [k + 1] : []));
    if (hits.length === 0) {
      console.error(`${file}: ${whole}: ${target} no longer holds ${JSON.stringify(snippet)}`);
      failures++;
      return whole;
    }
    const at = hits.reduce((best, k) => (Math.abs(k - first) < Math.abs(best - first) ? k : best));
    const anchor = span === 0 ? `#L${at}` : `#L${at}-L${at + span}`;
    const isRange = /^([a-z-]+ )?\d+(–\d+)?$/.test(label);
    const prefix = label.match(/^[a-z-]+ /)?.[0] ?? '';
    const newLabel = isRange ? `${prefix}${span === 0 ? at : `${at}–${at + span}`}` : label;
    const result = `[${newLabel}](${target}${anchor} "${snippet}")`;
    if (result !== whole) moved++;
    return result;
  });
  if (!check && out !== text) writeFileSync(path, out);
}
console.log(`${moved} link(s) ${check ? 'would move' : 'moved'}; ${failures} refused`);
process.exit(failures > 0 || (check && moved > 0) ? 1 : 0);
