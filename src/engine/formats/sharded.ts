// A model folder's weights, single-file or sharded, behind one name → tensor lookup.
//
// Hugging Face layout: `model.safetensors`, or shards listed by `model.safetensors.index.json`
// ({"metadata": {...}, "weight_map": {tensor name: shard file name}}). Shard names come from an
// untrusted file, so they must be bare file names inside the chosen folder (no separators, no
// '..', no absolute paths, no symlink leading out), and every name the index promises must
// really be in its shard.

import { closeSync, existsSync, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';
import { FeaturescopeError } from '../../shared/errors';
import { type ReadFloat32Options, SafetensorsDtype, SafetensorsFile, TensorEntry } from './safetensors';
import { JsonValue, parseStrictJson, StrictJsonError } from './strictJson';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';
/** An index maps names to files; even 100k-tensor models stay far below this. */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;

export interface WeightStoreOptions {
  /** readFloat32 keeps NaN/±Inf instead of refusing the tensor (the user's --allow-non-finite). */
  allowNonFinite?: boolean;
}

const HOW_TO_ALLOW_NON_FINITE = 'to run this model anyway, use featurescope run --allow-non-finite (allowNonFinite: true in model.run)';

export class WeightStore {
  private readFloatOptions: ReadFloat32Options = { howToAllow: HOW_TO_ALLOW_NON_FINITE };
  /**
   * Tensors already read whole and found finite. A streamed model reads every layer again in each
   * forward; the file does not change under an open model, so the scan is paid once per tensor.
   */
  private readonly checkedFinite = new Set<string>();

  /** Use WeightStore.open. */
  constructor(
    readonly dir: string,
    /** tensor name → the open shard that holds it (weight_map order, or file order). */
    private readonly owners: Map<string, SafetensorsFile>,
    private readonly files: SafetensorsFile[],
  ) {}

  /** Opens `dir`'s weights: `model.safetensors` if present, else the shards of the index. */
  static open(dir: string, options: WeightStoreOptions = {}): WeightStore {
    const store = WeightStore.openFiles(dir);
    store.readFloatOptions = { allowNonFinite: options.allowNonFinite === true, howToAllow: HOW_TO_ALLOW_NON_FINITE };
    return store;
  }

  private static openFiles(dir: string): WeightStore {
    let root: string;
    try {
      root = realpathSync(dir);
    } catch {
      throw new FeaturescopeError('not_found', `${dir}: model folder does not exist`);
    }
    // Like transformers, a single model.safetensors wins over an index next to it.
    if (existsSync(join(root, SINGLE_FILE))) {
      const file = SafetensorsFile.open(insideFolder(root, SINGLE_FILE, join(dir, SINGLE_FILE)));
      const owners = new Map<string, SafetensorsFile>();
      for (const name of file.tensors.keys()) owners.set(name, file);
      return new WeightStore(dir, owners, [file]);
    }
    if (existsSync(join(root, INDEX_FILE))) return openSharded(dir, root);
    throw new FeaturescopeError('not_found', `${dir}: no ${SINGLE_FILE} or ${INDEX_FILE} in the model folder`);
  }

  names(): string[] {
    return [...this.owners.keys()];
  }

  has(name: string): boolean {
    return this.owners.has(name);
  }

  entry(name: string): TensorEntry {
    return this.owner(name).entry(name);
  }

  shape(name: string): number[] {
    return [...this.entry(name).shape];
  }

  dtype(name: string): SafetensorsDtype {
    return this.entry(name).dtype;
  }

  /** The tensor widened to f32; NaN/±Inf refused (naming the tensor) unless the store allows them. */
  readFloat32(name: string): Float32Array {
    const checked = this.checkedFinite.has(name);
    const out = this.owner(name).readFloat32(name, checked ? { ...this.readFloatOptions, allowNonFinite: true } : this.readFloatOptions);
    this.checkedFinite.add(name);
    return out;
  }

  /** Rows [start, start + count) of the tensor (first axis), widened and checked like readFloat32. */
  readRowsFloat32(name: string, start: number, count: number): Float32Array {
    const key = `${name}\0${start}+${count}`;
    const checked = this.checkedFinite.has(name) || this.checkedFinite.has(key);
    const out = this.owner(name).readRowsFloat32(name, start, count, checked ? { ...this.readFloatOptions, allowNonFinite: true } : this.readFloatOptions);
    this.checkedFinite.add(key);
    return out;
  }

  readRaw(name: string): Uint8Array {
    return this.owner(name).readRaw(name);
  }

  close(): void {
    for (const f of this.files) f.close();
  }

  private owner(name: string): SafetensorsFile {
    const f = this.owners.get(name);
    if (f === undefined) throw new FeaturescopeError('not_found', `${this.dir}: model has no weight named ${JSON.stringify(name)}`);
    return f;
  }
}

function openSharded(dir: string, root: string): WeightStore {
  const indexPath = join(dir, INDEX_FILE);
  const weightMap = readWeightMap(indexPath, insideFolder(root, INDEX_FILE, indexPath));
  const shards = new Map<string, SafetensorsFile>();
  try {
    for (const fileName of new Set(weightMap.values())) {
      checkShardName(indexPath, fileName);
      const shardPath = join(dir, fileName);
      if (!existsSync(join(root, fileName))) {
        throw new FeaturescopeError('bad_file', `${indexPath}: weight_map names shard ${JSON.stringify(fileName)}, which is not in the folder`);
      }
      shards.set(fileName, SafetensorsFile.open(insideFolder(root, fileName, shardPath)));
    }
    const owners = new Map<string, SafetensorsFile>();
    for (const [name, fileName] of weightMap) {
      const shard = shards.get(fileName)!;
      if (!shard.has(name)) {
        throw new FeaturescopeError('bad_file', `${indexPath}: weight_map puts ${JSON.stringify(name)} in ${fileName}, but that shard has no such tensor`);
      }
      owners.set(name, shard);
    }
    // Tensors present in a shard but absent from weight_map are not exposed: the index is the
    // model's declared contents, as in transformers' loader.
    return new WeightStore(dir, owners, [...shards.values()]);
  } catch (err) {
    for (const s of shards.values()) s.close();
    throw err;
  }
}

function readWeightMap(displayPath: string, realPath: string): Map<string, string> {
  const fail = (rule: string): FeaturescopeError => new FeaturescopeError('bad_file', `${displayPath}: not a valid shard index: ${rule}`);
  const text = readSmallTextFile(realPath, displayPath, MAX_INDEX_BYTES);
  let json: JsonValue;
  try {
    json = parseStrictJson(text);
  } catch (err) {
    if (err instanceof StrictJsonError) throw fail(`invalid JSON (${err.message})`);
    throw err;
  }
  if (!(json instanceof Map)) throw fail('must be a JSON object');
  const weightMap = json.get('weight_map');
  if (!(weightMap instanceof Map)) throw fail('weight_map must be an object');
  if (weightMap.size === 0) throw fail('weight_map is empty');
  const out = new Map<string, string>();
  for (const [name, file] of weightMap) {
    if (typeof file !== 'string') throw fail(`weight_map value for ${JSON.stringify(name)} is not a file name string`);
    out.set(name, file);
  }
  return out;
}

function checkShardName(indexPath: string, fileName: string): void {
  const fail = (rule: string): FeaturescopeError =>
    new FeaturescopeError('bad_file', `${indexPath}: shard file name ${JSON.stringify(fileName)} ${rule}`);
  if (fileName.includes('/') || fileName.includes('\\')) throw fail('must not contain path separators');
  if (fileName.includes('..')) throw fail("must not contain '..'");
  if (isAbsolute(fileName) || /^[A-Za-z]:/.test(fileName)) throw fail('must not be an absolute path');
  if (fileName.includes('\0')) throw fail('must not contain NUL');
  if (!fileName.endsWith('.safetensors')) throw fail("must end in '.safetensors'");
}

/** The real path of `root/fileName`, refusing one whose symlinks lead out of the folder. */
function insideFolder(root: string, fileName: string, displayPath: string): string {
  let real: string;
  try {
    real = realpathSync(join(root, fileName));
  } catch (err) {
    throw new FeaturescopeError('not_found', `${displayPath}: cannot resolve (${(err as Error).message})`);
  }
  if (!real.startsWith(root.endsWith(sep) ? root : root + sep)) {
    throw new FeaturescopeError('bad_file', `${displayPath}: resolves to ${real}, outside the model folder`);
  }
  return real;
}

function readSmallTextFile(path: string, displayPath: string, maxBytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > maxBytes) throw new FeaturescopeError('bad_file', `${displayPath}: ${size} bytes exceeds the ${maxBytes}-byte limit`);
    const buf = new Uint8Array(size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, buf, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, done));
    } catch {
      throw new FeaturescopeError('bad_file', `${displayPath}: not valid UTF-8`);
    }
  } finally {
    closeSync(fd);
  }
}
