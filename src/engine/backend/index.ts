// Picks the engine's tfjs backend once per process, best first, and says why:
//   tfjs-node-gpu (CUDA) → tfjs-node → tfjs-backend-wasm (SIMD, threads) → tfjs-backend-cpu.
// The reason names every better backend that was skipped and what kept it out, so `doctor`
// and the status bar can tell a user what to install or fix.
//
// The pure-JS 'cpu' backend (~0.3 GFLOP/s, 50-100× slower than wasm) is used when asked for by
// name. Reached only because everything else failed, it is refused unless FEATURESCOPE_ALLOW_CPU=1:
// a training or capture job on it would look hung for hours, and an engine that fails to start
// with the cause in its message is easier to act on than one that is silently unusable.
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import type { BackendInfo } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import { tryNativeBackend, shortName, type NativeKind } from './native';
import { terminateAllPthreadWorkers } from './node-pthread-worker';
import { resolveBackendOptions, type BackendOptions, type ResolvedBackendOptions } from './options';
import { initWasmBackend } from './wasm';

export type { BackendOptions, BackendPreference } from './options';

type Kind = BackendInfo['kind'];
const CHAIN: readonly Kind[] = ['gpu', 'native', 'wasm', 'cpu'];

const CPU_WARNING =
  'SLOW: the pure-JavaScript tfjs-backend-cpu runs fp32 matmul at about 0.3 GFLOP/s, 50-100× slower than wasm; fit for tiny tests only';

let landing: Promise<BackendInfo> | null = null;

/**
 * Starts the best available tfjs backend. Call once per process: later calls (whatever their
 * options) return the same info. A failed start is not cached, so a later call tries again.
 * Env overrides: FEATURESCOPE_BACKEND=auto|gpu|native|wasm|cpu, FEATURESCOPE_THREADS=N,
 * FEATURESCOPE_ALLOW_CPU=1 (accept the slow 'cpu' backend as a fallback).
 */
export function initBackend(opts?: BackendOptions): Promise<BackendInfo> {
  if (!landing) {
    landing = chooseBackend(resolveBackendOptions(opts)).catch((err: unknown) => {
      landing = null;
      throw err;
    });
  }
  return landing;
}

/**
 * Stops the wasm pthread workers. They are unref'd and never keep the process alive, so this is
 * only needed to exit deterministically (or to free their threads before process.exit). No tfjs op
 * may run afterwards: a threaded op would wait forever for the terminated workers.
 */
export async function shutdownBackend(): Promise<void> {
  await terminateAllPthreadWorkers();
  landing = null;
}

async function chooseBackend(options: ResolvedBackendOptions): Promise<BackendInfo> {
  const skipped: string[] = [];
  const start = options.prefer === 'auto' ? 0 : CHAIN.indexOf(options.prefer);
  const requestedBy = `FEATURESCOPE_BACKEND or the caller asked for '${options.prefer}'`;
  for (const kind of CHAIN.slice(0, start)) skipped.push(`${label(kind)}: not tried, ${requestedBy}`);

  for (const kind of CHAIN.slice(start)) {
    if (kind === 'gpu' || kind === 'native') {
      if (options.threadsSource !== 'cores') {
        // libtensorflow sizes its intra-op pool from this variable when it first starts.
        process.env.TF_NUM_INTRAOP_THREADS ??= String(options.threads);
      }
      const attempt = await tryNativeBackend(kind);
      if (attempt.ok) return landed(attempt.name, kind, nativeThreads(), true, `${shortName(kind)}: libtensorflow loaded`, skipped);
      skipped.push(`${shortName(kind)}: ${attempt.why}`);
      continue;
    }
    if (kind === 'wasm') {
      try {
        const wasm = await initWasmBackend(options.threads);
        return landed('wasm', 'wasm', wasm.threads, wasm.simd, `wasm: ${wasm.detail}`, skipped);
      } catch (err) {
        skipped.push(`wasm: failed to initialise (${errorText(err)})`);
        continue;
      }
    }
    return landOnCpu(options, skipped);
  }
  throw new FeaturescopeError('internal', 'Backend chain ended without a choice.');
}

async function landOnCpu(options: ResolvedBackendOptions, skipped: string[]): Promise<BackendInfo> {
  const asked = options.prefer === 'cpu';
  if (!asked && !options.allowCpuFallback) {
    throw new FeaturescopeError(
      'failed',
      `No fast tfjs backend could start (${skipped.join('; ')}). The only one left is the pure-JavaScript 'cpu' backend, ` +
        `about 0.3 GFLOP/s (50-100× slower than wasm), which is refused by default. ` +
        `Fix the wasm error above, or set FEATURESCOPE_ALLOW_CPU=1 to run on 'cpu' anyway.`,
    );
  }
  if (!(await tf.setBackend('cpu'))) throw new FeaturescopeError('failed', "tfjs could not start even its 'cpu' backend.");
  await tf.ready();
  const why = asked ? "requested by FEATURESCOPE_BACKEND=cpu or prefer: 'cpu'" : 'every faster backend failed and FEATURESCOPE_ALLOW_CPU=1 accepts it';
  const info = landed('cpu', 'cpu', 1, false, `cpu: ${CPU_WARNING}; ${why}`, skipped);
  console.warn(`featurescope: running on the tfjs 'cpu' backend. ${info.reason}`);
  return info;
}

function landed(name: string, kind: Kind, threads: number, simd: boolean, chosen: string, skipped: readonly string[]): BackendInfo {
  const reason = skipped.length === 0 ? `${chosen}.` : `${chosen}. Better backends skipped: ${skipped.join('; ')}.`;
  return { name, kind, threads, simd, reason, tfjsVersion: tf.version.tfjs };
}

/** libtensorflow runs its intra-op pool on every core unless TF_NUM_INTRAOP_THREADS says otherwise. */
function nativeThreads(): number {
  const fromEnv = Number(process.env.TF_NUM_INTRAOP_THREADS);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : availableParallelism();
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').slice(0, 300);
}

function label(kind: Kind): string {
  return kind === 'gpu' || kind === 'native' ? shortName(kind as NativeKind) : kind;
}
