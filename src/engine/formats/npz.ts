// Strict reader for numpy `.npz` archives (a zip of `.npy` arrays), e.g. Gemma Scope's
// `params.npz`. Read straight from the zip into memory, never extracted to disk; see zip.ts
// for the archive rules and npy.ts for the array rules.

import { FeaturescopeError } from '../../shared/errors';
import { NpyArray, NpyFormatError, parseNpy } from './npy';
import { ZipArchive, ZipLimits } from './zip';

export type { NpyArray, NpyData, NpyDtype } from './npy';
export { DEFAULT_ZIP_LIMITS } from './zip';
export type NpzOptions = Partial<ZipLimits>;

/** Reads every array of the archive; keys are entry names without the `.npy` suffix. */
export function readNpz(path: string, options: NpzOptions = {}): Map<string, NpyArray> {
  const zip = ZipArchive.open(path, options);
  try {
    const bad = (rule: string): FeaturescopeError => new FeaturescopeError('bad_file', `${path}: not a valid npz archive: ${rule}`);
    const keys = new Map<string, (typeof zip.entries)[number]>();
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
    const out = new Map<string, NpyArray>();
    for (const [key, entry] of keys) {
      try {
        out.set(key, parseNpy(zip.read(entry)));
      } catch (err) {
        if (err instanceof NpyFormatError) throw bad(`array ${JSON.stringify(key)}: ${err.message}`);
        throw err;
      }
    }
    return out;
  } finally {
    zip.close();
  }
}
