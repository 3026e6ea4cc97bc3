import { createRequire } from 'node:module';
import { join } from 'node:path';

const requireFromHere = createRequire(__filename);

/** Versions of the pieces a bug report needs. A package that is absent says so rather than failing. */
export function packageVersions(): Record<string, string> {
  const out: Record<string, string> = { node: process.versions.node };
  if (process.versions.electron) out.electron = process.versions.electron;
  for (const name of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'better-sqlite3', 'zod']) {
    try {
      out[name] = (requireFromHere(`${name}/package.json`) as { version: string }).version;
    } catch {
      out[name] = 'not installed';
    }
  }
  return out;
}

export function appVersion(appRoot: string): string {
  try {
    return (requireFromHere(join(appRoot, 'package.json')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
