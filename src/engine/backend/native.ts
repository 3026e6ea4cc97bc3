// The native tfjs backends (libtensorflow through N-API). Both are optional dependencies:
// their install script downloads libtensorflow from Google storage, which fails offline,
// and npm then leaves the package without its addon (or without the package at all).
// Loading is a dynamic require inside try/catch so that a missing one is a reason, not a crash.
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { packageRequire } from './package-require';

export type NativeKind = 'gpu' | 'native';

export const NATIVE_PACKAGES: Record<NativeKind, string> = {
  gpu: '@tensorflow/tfjs-node-gpu',
  native: '@tensorflow/tfjs-node',
};

/** Short names used in reasons: what a user would type after `npm rebuild`. */
export function shortName(kind: NativeKind): string {
  return kind === 'gpu' ? 'tfjs-node-gpu' : 'tfjs-node';
}

export type NativeAttempt = { ok: true; name: string } | { ok: false; why: string };

/** Loads the package and switches tfjs to its 'tensorflow' backend; explains any failure. */
export async function tryNativeBackend(kind: NativeKind): Promise<NativeAttempt> {
  const pkg = NATIVE_PACKAGES[kind];
  try {
    packageRequire.resolve(pkg);
  } catch {
    return { ok: false, why: 'not installed (optional dependency; its install needs libtensorflow from Google storage)' };
  }
  if (kind === 'gpu') {
    const noDriver = missingCudaDriver();
    if (noDriver) return { ok: false, why: noDriver };
  }
  try {
    packageRequire(pkg);
  } catch (err) {
    return { ok: false, why: explainLoadFailure(pkg, err) };
  }
  if (!tf.findBackendFactory('tensorflow')) {
    return {
      ok: false,
      why: `loaded, but it registered no 'tensorflow' backend with this @tensorflow/tfjs (two copies of tfjs-core in node_modules? run \`npm ls @tensorflow/tfjs-core\`)`,
    };
  }
  let switched = false;
  try {
    switched = await tf.setBackend('tensorflow');
  } catch (err) {
    return { ok: false, why: `its backend failed to initialise: ${firstLine(err)}` };
  }
  if (!switched) return { ok: false, why: `its backend failed to initialise (tfjs logged the cause above)` };
  await tf.ready();
  return { ok: true, name: tf.getBackend() };
}

/**
 * tfjs-node-gpu silently runs on the CPU when CUDA is absent, and loading it maps a very large
 * libtensorflow; on Linux the NVIDIA kernel driver announces itself in /proc, so check that first.
 */
function missingCudaDriver(): string | null {
  if (process.platform !== 'linux') return null;
  if (existsSync('/proc/driver/nvidia/version')) return null;
  return 'no NVIDIA driver on this machine (/proc/driver/nvidia/version is absent), so there is no CUDA device to use';
}

function explainLoadFailure(pkg: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'MODULE_NOT_FOUND' && message.includes(`'${pkg}'`)) {
    return 'not installed (optional dependency; its install needs libtensorflow from Google storage)';
  }
  if (message.includes('tfjs_binding.node')) {
    return (
      'installed but its native addon is missing (its install could not download libtensorflow from Google storage; ' +
      `with network access run \`npm rebuild ${pkg}\`)`
    );
  }
  return `failed to load: ${firstLine(err)}`;
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
