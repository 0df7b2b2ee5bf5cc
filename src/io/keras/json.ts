/**
 * JSON as Keras reads it: Python's `json` tells `0.0` (a float) from `0` (an int), and Keras checks
 * the difference (`SGD(momentum=0)` from a config is refused: "`momentum` must be a float").
 * JavaScript numbers cannot tell, so a config meant for Keras marks its floats with `kerasFloat(x)`
 * and `toKerasJson` writes them with a decimal point; `parseKerasJson` reads a Keras JSON text with
 * its floats so marked, so a config read from a Keras file can be written back as it was.
 */

/** A number that Keras must read as a Python float. */
export class KerasFloat {
  constructor(readonly value: number) {}
}

export function kerasFloat(value: number): KerasFloat {
  return new KerasFloat(value);
}

const MAX_DEPTH = 256;

/** JSON text with every KerasFloat written as a float literal (`1.0`, not `1`). */
export function toKerasJson(value: unknown): string {
  const out: string[] = [];
  const write = (v: unknown, depth: number, path: string): void => {
    if (depth > MAX_DEPTH) throw new RangeError(`toKerasJson: nested deeper than ${MAX_DEPTH} at ${path}`);
    if (v instanceof KerasFloat) {
      if (!Number.isFinite(v.value)) throw new RangeError(`toKerasJson: ${path} is ${v.value}, which JSON cannot hold`);
      out.push(Number.isInteger(v.value) && Math.abs(v.value) < 1e21 ? `${v.value}.0` : JSON.stringify(v.value));
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new RangeError(`toKerasJson: ${path} is ${v}, which JSON cannot hold`);
      out.push(JSON.stringify(v));
    } else if (v === null || typeof v === 'string' || typeof v === 'boolean') out.push(JSON.stringify(v));
    else if (Array.isArray(v)) {
      out.push('[');
      v.forEach((x, i) => { if (i) out.push(', '); write(x, depth + 1, `${path}[${i}]`); });
      out.push(']');
    } else if (typeof v === 'object') {
      out.push('{');
      let first = true;
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (x === undefined) continue;
        if (!first) out.push(', ');
        first = false;
        out.push(JSON.stringify(k), ': ');
        write(x, depth + 1, `${path}.${k}`);
      }
      out.push('}');
    } else throw new TypeError(`toKerasJson: ${path} is a ${typeof v}, which JSON cannot hold`);
  };
  write(value, 0, 'config');
  return out.join('');
}

// A JSON string, or a number literal with a fraction or an exponent (a Python float).
const TOKENS = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+(?:[eE][+-]?\d+)?|[eE][+-]?\d+)/g;
const MARK = '__lstm_ts_keras_float__';

/** Parses JSON text, turning each float literal (`0.0`, `1e-07`) into a KerasFloat. */
export function parseKerasJson(text: string): unknown {
  const marked = text.replace(TOKENS, (t) => (t[0] === '"' ? t : `{"${MARK}":${t}}`));
  return JSON.parse(marked, (_key, v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && MARK in v && Object.keys(v).length === 1 ? new KerasFloat(v[MARK]) : v));
}
