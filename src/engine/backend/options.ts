// What the caller and the environment ask of the backend choice, checked once.
// FEATURESCOPE_BACKEND / FEATURESCOPE_THREADS win over the caller's options: they are the
// user's override of whatever defaults the engine code passes.
import { availableParallelism } from 'node:os';
import { FeaturescopeError } from '../../shared/errors';

export const BACKEND_PREFERENCES = ['auto', 'gpu', 'native', 'wasm', 'cpu'] as const;
export type BackendPreference = (typeof BACKEND_PREFERENCES)[number];

export interface BackendOptions {
  prefer?: BackendPreference;
  threads?: number;
}

export interface ResolvedBackendOptions {
  prefer: BackendPreference;
  /** Threads asked for (before the wasm build's own cap of 8). */
  threads: number;
  /** Where `threads` came from, for the reason text. */
  threadsSource: 'FEATURESCOPE_THREADS' | 'option' | 'cores';
  /** Landing on the slow pure-JS backend without being asked is refused unless this is set. */
  allowCpuFallback: boolean;
}

export function resolveBackendOptions(opts: BackendOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedBackendOptions {
  const prefer = parsePreference(env.FEATURESCOPE_BACKEND, opts.prefer);
  const threadsEnv = env.FEATURESCOPE_THREADS;
  let threads: number;
  let threadsSource: ResolvedBackendOptions['threadsSource'];
  if (threadsEnv !== undefined && threadsEnv.trim() !== '') {
    threads = parseThreads(threadsEnv.trim(), 'FEATURESCOPE_THREADS');
    threadsSource = 'FEATURESCOPE_THREADS';
  } else if (opts.threads !== undefined) {
    threads = parseThreads(opts.threads, 'threads');
    threadsSource = 'option';
  } else {
    threads = availableParallelism();
    threadsSource = 'cores';
  }
  return { prefer, threads, threadsSource, allowCpuFallback: env.FEATURESCOPE_ALLOW_CPU === '1' };
}

function parsePreference(fromEnv: string | undefined, fromOptions: BackendPreference | undefined): BackendPreference {
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const value = fromEnv.trim().toLowerCase();
    if (!isPreference(value)) {
      throw new FeaturescopeError(
        'invalid_input',
        `FEATURESCOPE_BACKEND must be one of ${BACKEND_PREFERENCES.join('|')}, got "${fromEnv}".`,
        'FEATURESCOPE_BACKEND',
      );
    }
    return value;
  }
  if (fromOptions === undefined) return 'auto';
  if (!isPreference(fromOptions)) {
    throw new FeaturescopeError('invalid_input', `prefer must be one of ${BACKEND_PREFERENCES.join('|')}, got "${String(fromOptions)}".`, 'prefer');
  }
  return fromOptions;
}

function isPreference(value: string): value is BackendPreference {
  return (BACKEND_PREFERENCES as readonly string[]).includes(value);
}

function parseThreads(value: string | number, field: string): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 1) {
    throw new FeaturescopeError('invalid_input', `${field} must be a whole number of threads ≥ 1, got "${String(value)}".`, field);
  }
  return n;
}
