// Strict reader for numpy `.npz` archives (a zip of `.npy` arrays), e.g. Gemma Scope's
// `params.npz`. Read straight from the zip into memory, never extracted to disk; see zip.ts
// for the archive rules and npy.ts for the array rules.
//
// Sizes are trusted only once they agree with each other: every entry's .npy header is read first
// (inflating just its first bytes), its shape × dtype must equal the size the archive declares,
// and the caller's plan sees all headers before any array is inflated whole. An entry is then
// inflated only up to that size, so a small archive cannot expand past what its arrays describe.

import { FeaturescopeError } from '../../shared/errors';
import { NPY_PREAMBLE_BYTES, NpyArray, NpyFormatError, NpyHeader, npyHeaderEnd, parseNpy, parseNpyHeader } from './npy';
import { ZipArchive, ZipEntry, ZipLimits } from './zip';

export type { NpyArray, NpyData, NpyDtype, NpyHeader } from './npy';
export { DEFAULT_ZIP_LIMITS } from './zip';

export interface NpzOptions extends Partial<ZipLimits> {
  /**
   * Sees every array's header (keys without `.npy`) before any array is inflated; throws to refuse
   * the archive (e.g. shapes an SAE cannot have), returns the arrays to read. Default: all of them.
   */
  plan?: (headers: ReadonlyMap<string, NpyHeader>) => Iterable<string>;
}

/** Reads the planned arrays of the archive; keys are entry names without the `.npy` suffix. */
export function readNpz(path: string, options: NpzOptions = {}): Map<string, NpyArray> {
  const { plan, ...limits } = options;
  const zip = ZipArchive.open(path, limits);
  try {
    const bad = (rule: string): FeaturescopeError => new FeaturescopeError('bad_file', `${path}: not a valid npz archive: ${rule}`);
    const keys = new Map<string, ZipEntry>();
    // Check every name before reading any data, so a bad archive costs no inflate work.
    for (const entry of zip.entries) {
      const name = entry.name;
      const where = `entry ${JSON.stringify(name)}`;
      if (name.includes('\\')) throw bad(`${where} contains a backslash`);
      if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw bad(`${where} is an absolute path`);
      if (name.includes('..')) throw bad(`${where} contains '..'`);
      if (name.includes('\0')) throw bad(`${where} contains NUL`);
      if (!name.endsWith('.npy') || name.length === 4) throw bad(`${where} is not a .npy array`);
      const key = name.slice(0, -4);
      if (keys.has(key)) throw bad(`duplicate array name ${JSON.stringify(key)}`);
      keys.set(key, entry);
    }
    const npyError = (key: string, err: unknown): unknown => (err instanceof NpyFormatError ? bad(`array ${JSON.stringify(key)}: ${err.message}`) : err);

    const headers = new Map<string, NpyHeader>();
    for (const [key, entry] of keys) {
      try {
        headers.set(key, readHeader(zip, entry));
      } catch (err) {
        throw npyError(key, err);
      }
    }
    const wanted = plan === undefined ? [...keys.keys()] : [...new Set(plan(headers))];
    const out = new Map<string, NpyArray>();
    for (const key of wanted) {
      const entry = keys.get(key);
      if (entry === undefined) throw new FeaturescopeError('internal', `${path}: the plan asked for array ${JSON.stringify(key)}, which the archive does not hold`);
      try {
        out.set(key, parseNpy(zip.read(entry)));
      } catch (err) {
        throw npyError(key, err);
      }
    }
    return out;
  } finally {
    zip.close();
  }
}

/** The entry's .npy header, from its first bytes; its declared size must be exactly header + data. */
function readHeader(zip: ZipArchive, entry: ZipEntry): NpyHeader {
  const preamble = zip.readPrefix(entry, NPY_PREAMBLE_BYTES);
  const end = npyHeaderEnd(preamble);
  const header = parseNpyHeader(end <= preamble.length ? preamble : zip.readPrefix(entry, end));
  const size = BigInt(header.dataStart) + header.dataBytes;
  if (size !== BigInt(entry.uncompressedSize)) {
    throw new NpyFormatError(
      `its header describes shape (${header.shape.join(', ')}) × ${header.dtype} = ${size} bytes, but the archive declares ${entry.uncompressedSize} bytes for it`,
    );
  }
  return header;
}
