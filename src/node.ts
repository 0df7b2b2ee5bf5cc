/**
 * lstm-ts/node: the Node-only entry point (file I/O). The core library ('lstm-ts') imports no
 * Node module, so it runs in browsers; this file is where `fs` is allowed.
 *
 *   import { save, load } from 'lstm-ts/node';
 *   await save(model, 'model.json');
 *   const again = await load('model.json');
 *
 *   await saveTfjs(model, 'out');                 // the TF.js Layers format: out/model.json + .bin shards
 *   const m = await loadTfjs('out/model.json');   // ... as TF.js or tensorflowjs_converter writes it
 */
import { lstat, mkdir, open, realpath, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fromKerasBytes, toKerasBytes } from './io/keras/model.js';
import { TFJS_SHARD_BYTES, buildTfjsModel, manifestGroupBytes, parseTfjsModelJSON, planTfjsModel, toTfjsModelFiles } from './io/tfjs.js';
import { Sequential } from './model/sequential.js';

/** Write the model (architecture, weights, optimizer state) as JSON; atomic (temp file + rename). */
export async function save(model: Sequential, path: string): Promise<void> {
  if (!(model instanceof Sequential)) throw new TypeError('save: model: expected a Sequential');
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`save: path: expected a file path, got ${JSON.stringify(path)}`);
  const text = JSON.stringify(model.toJSON());
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text, 'utf8');
  await rename(temporary, path);
}

/** Read a model written by `save`. A corrupted or truncated file is refused with an error naming the file. */
export async function load(path: string): Promise<Sequential> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`load: path: expected a file path, got ${JSON.stringify(path)}`);
  const text = await readRegularFile(path);
  try {
    return Sequential.fromJSON(text);
  } catch (error) {
    throw new Error(`load: ${path}: ${(error as Error).message}`, { cause: error });
  }
}

export interface SaveTfjsOptions {
  /** The largest weight file, in bytes. Default 4 MiB, as the TF.js converter writes them. */
  shardBytes?: number;
}

/**
 * Write the model in the TF.js Layers format: `dir/model.json` (format 'layers-model', the Keras
 * config, weightsManifest) and the weights as `dir/group1-shardKofN.bin` (little-endian float32,
 * shards of at most 4 MiB; a weight may be split across two). `tf.loadLayersModel` reads the
 * directory (served over http, or 'file://' with tfjs-node), and tensorflowjs_converter turns it
 * into a Keras model. model.json is written last, atomically, so it never names missing shards.
 * Returns the path of model.json.
 */
export async function saveTfjs(model: Sequential, dir: string, options: SaveTfjsOptions = {}): Promise<string> {
  if (!(model instanceof Sequential)) throw new TypeError('saveTfjs: model: expected a Sequential');
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError(`saveTfjs: dir: expected a directory path, got ${JSON.stringify(dir)}`);
  const { modelJSON, shards } = toTfjsModelFiles(model, options.shardBytes ?? TFJS_SHARD_BYTES);
  await mkdir(dir, { recursive: true });
  for (const shard of shards) await writeFile(join(dir, shard.path), shard.data);
  const path = join(dir, 'model.json');
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(modelJSON), 'utf8');
  await rename(temporary, path);
  return path;
}

/**
 * Read a TF.js Layers model: `model.json` and the weight files its manifest lists, relative to
 * model.json's directory (as saveTfjs, TF.js and tensorflowjs_converter write them). The file is
 * untrusted, so before any weight byte is read: the whole topology and every weight spec are
 * checked against what the configs imply (planTfjsModel); each weight path must resolve, symbolic
 * links followed, to a regular file inside model.json's directory (no URL, no absolute path, no
 * `..` out of it, no device such as /dev/zero); and each group's files must have together exactly
 * the size its manifest implies. A failure names the file. The model is float32 and not compiled.
 */
export async function loadTfjs(path: string): Promise<Sequential> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`loadTfjs: path: expected the path of a model.json, got ${JSON.stringify(path)}`);
  const where = `loadTfjs: ${path}`;
  let text: string;
  try {
    text = await readRegularFile(path);
  } catch (error) {
    throw new Error(`${where}: cannot read the file: ${(error as Error).message}`, { cause: error });
  }
  const parsed = parseTfjsModelJSON(text, where);
  const { modelJSON, manifest } = parsed;
  const specs = manifest.flatMap((group) => group.weights);
  const plan = withKind(where, () => planTfjsModel(modelJSON.modelTopology, specs, 'fromTfjsArtifacts'));

  // Where the files are, and their sizes, before reading any.
  const dir = await realpath(dirname(resolve(path)));
  const expectedBytes = manifestGroupBytes(parsed);
  const groups = await Promise.all(manifest.map(async (group, g) => {
    const files = await Promise.all(group.paths.map((p) => weightFile(dir, p, `${where}: weightsManifest[${g}].paths`)));
    const got = files.reduce((n, f) => n + f.size, 0);
    if (got !== expectedBytes[g]) {
      throw new RangeError(`${where}: weight files ${group.paths.join(', ')} hold ${got} bytes, but their manifest lists ${group.weights.length} float32 weights of ${expectedBytes[g]} bytes (${got < expectedBytes[g] ? 'truncated' : 'too long'}, or not the files of this model.json)`);
    }
    return files;
  }));

  const bytes = new Uint8Array(plan.totalBytes);
  let offset = 0;
  for (const files of groups) {
    for (const file of files) {
      await readExactly(file.path, file.size, bytes.subarray(offset, offset + file.size), where);
      offset += file.size;
    }
  }
  return withKind(where, () => buildTfjsModel(plan, bytes, specs.length, 'fromTfjsArtifacts'));
}

/** Run body, prefixing its error with `where` and keeping RangeError / TypeError. */
function withKind<T>(where: string, body: () => T): T {
  try {
    return body();
  } catch (error) {
    const Kind = error instanceof RangeError ? RangeError : TypeError;
    throw new Kind(`${where}: ${(error as Error).message}`, { cause: error });
  }
}

/** A weight file named in the manifest: its real path inside `dir` and its size; refused otherwise. */
async function weightFile(dir: string, name: string, where: string): Promise<{ path: string; size: number }> {
  if (/^[a-z][a-z0-9+.-]*:/i.test(name)) throw new TypeError(`${where}: ${JSON.stringify(name)} is a URL; expected a file path relative to model.json`);
  if (isAbsolute(name) || name.includes('\0')) throw new TypeError(`${where}: ${JSON.stringify(name)} is an absolute path; expected a file path relative to model.json`);
  const file = resolve(dir, name);
  if (!inside(dir, file)) throw new TypeError(`${where}: ${JSON.stringify(name)} points outside model.json's directory ${dir}; weight files must be inside it`);
  let real: string;
  try {
    real = await realpath(file);
  } catch (error) {
    throw new Error(`${where}: cannot read weight file ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (!inside(dir, real)) throw new TypeError(`${where}: ${JSON.stringify(name)} is a link to ${real}, outside model.json's directory ${dir}; weight files must be inside it`);
  const stats = await lstat(real);
  if (!stats.isFile()) throw new TypeError(`${where}: weight file ${file} is not a regular file (a directory, device or pipe); expected the bytes of the weights`);
  return { path: real, size: stats.size };
}

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel.length > 0 && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** Read exactly `size` bytes of a regular file into `into`; refused if the file is not one, or changed size, since it was checked. */
async function readExactly(path: string, size: number, into: Uint8Array, where: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new Error(`${where}: cannot read weight file ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size !== size) throw new RangeError(`${where}: weight file ${path} changed while it was being read (now ${stats.size} bytes, was ${size})`);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(into, done, size - done, done);
      if (bytesRead === 0) throw new RangeError(`${where}: weight file ${path} ended after ${done} of ${size} bytes`);
      done += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

/** A text file's contents, refused unless it is a regular file (not /dev/zero, a pipe, a directory). */
async function readRegularFile(path: string): Promise<string>;
async function readRegularFile(path: string, encoding: null): Promise<Uint8Array>;
async function readRegularFile(path: string, encoding: 'utf8' | null = 'utf8'): Promise<string | Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new TypeError(`${path} is not a regular file (a directory, device or pipe)`);
    return encoding === null ? new Uint8Array(await handle.readFile()) : await handle.readFile(encoding);
  } finally {
    await handle.close();
  }
}

/**
 * A model from a Keras file: Keras 3's `.keras` (zip: config.json, model.weights.h5) or a legacy
 * `.h5` (tf.keras 2.x and Keras 3 write it), with Keras' weights bit for bit; float32, uncompiled.
 * Anything the file holds that lstm-ts lacks (a layer, an option, a functional model, a custom
 * class) is refused by name, before anything is built. `{ compile: true }` compiles it with the
 * file's settings (see fromKerasBytes). (In browsers: fromKerasBytes.)
 */
/**
 * Write the model as a Keras 3 `.keras` file, which `keras.saving.load_model` loads (with the
 * compile settings of a compiled model, so `fit` goes on in Keras). Written to a temporary
 * file first and renamed, so an existing file is never left half written.
 */
export async function saveKeras(model: Sequential, path: string): Promise<void> {
  if (!(model instanceof Sequential)) throw new TypeError('saveKeras: model: expected a Sequential');
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`saveKeras: path: expected a file path, got ${JSON.stringify(path)}`);
  const bytes = toKerasBytes(model);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
}

export async function loadKeras(path: string, options: { compile?: boolean } = {}): Promise<Sequential> {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`loadKeras: path: expected a file path, got ${JSON.stringify(path)}`);
  if (options === null || typeof options !== 'object') throw new TypeError(`loadKeras: options: expected { compile }, got ${JSON.stringify(options)}`);
  const bytes = await readRegularFile(path, null);
  return fromKerasBytes(bytes, { ...options, fileName: basename(path) });
}
