// tfjs-backend-wasm in Node: the threaded SIMD build through the worker_threads shim when more
// than one thread is wanted, the single-threaded SIMD build otherwise or when that fails.
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { installPthreadWorkerShim } from './node-pthread-worker';

/** tfjs-backend-wasm pre-creates 8 pthread workers and caps its XNNPACK pool at 8 threads. */
export const MAX_WASM_THREADS = 8;

/** A threaded init normally takes well under a second; past this something is stuck. */
const THREADED_INIT_TIMEOUT_MS = 30_000;

export interface WasmLanding {
  threads: number;
  simd: boolean;
  /** One clause for the reason: which build, how many threads, and why. */
  detail: string;
}

export interface WasmInitOptions {
  /** The emscripten main script the pthread workers evaluate (default: the installed one). */
  threadedMainScript?: string;
}

export async function initWasmBackend(requestedThreads: number, options: WasmInitOptions = {}): Promise<WasmLanding> {
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  const threads = Math.min(requestedThreads, MAX_WASM_THREADS);
  const capNote = threads < requestedThreads ? ` (asked for ${requestedThreads}; the wasm build's pool holds ${MAX_WASM_THREADS} at most)` : '';

  let singleThreadWhy: string;
  if (threads <= 1) {
    singleThreadWhy = '1 thread requested';
  } else if (!simd) {
    singleThreadWhy = 'this runtime has no WebAssembly SIMD, which the threaded build requires';
  } else {
    try {
      const actual = await initThreadedWasm(threads, options.threadedMainScript);
      return { threads: actual, simd, detail: `threaded SIMD build on ${actual} threads (worker_threads shim)${capNote}` };
    } catch (err) {
      singleThreadWhy = `the threaded SIMD build failed to initialise (${errorText(err)}); fell back to the single-threaded build`;
    }
  }

  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs could not initialise the wasm backend (its warning above says why)');
  await tf.ready();
  const build = simd ? 'single-threaded SIMD build' : 'single-threaded build without SIMD';
  return { threads: getThreadsCount(), simd, detail: `${build}, 1 thread: ${singleThreadWhy}` };
}

async function initThreadedWasm(threads: number, mainScript: string | undefined): Promise<number> {
  const shim = installPthreadWorkerShim(mainScript);
  // tfjs reports "no threads" for every Node process (IS_NODE short-circuits the probe).
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  // The C++ side clamps the pool to min(requested, logical cores / 2) — it assumes hyper-threading —
  // so on a 2-core machine it would give 1 thread whatever setThreadsCount says. The core count is
  // read once, from os.cpus() on the main thread, while the module initialises: report enough cores
  // for exactly that window.
  setThreadsCount(threads);
  const restoreCpus = reportLogicalCoresAtLeast(2 * threads);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the pthread workers within ${THREADED_INIT_TIMEOUT_MS / 1000} s`)), THREADED_INIT_TIMEOUT_MS);
  });
  let succeeded = false;
  try {
    const ok = await Promise.race([tf.setBackend('wasm'), shim.failed, timedOut]);
    if (!ok) throw new Error('tfjs rejected the threaded module (its warning above says why)');
    await tf.ready();
    succeeded = true;
    return getThreadsCount();
  } catch (err) {
    await shim.terminateAll();
    throw err;
  } finally {
    clearTimeout(timer);
    restoreCpus();
    // The pool's 8 workers exist by now; no later code path creates more, and leaving a global
    // `Worker` behind would make other libraries believe they run in a browser.
    shim.finishInit(succeeded);
  }
}

function reportLogicalCoresAtLeast(count: number): () => void {
  const realCpus = os.cpus;
  os.cpus = function paddedCpus(this: typeof os) {
    const cpus = realCpus.call(os);
    const model = cpus[0] ?? { model: 'unknown', speed: 0, times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 } };
    while (cpus.length < count) cpus.push(model);
    return cpus;
  };
  return () => {
    os.cpus = realCpus;
  };
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').slice(0, 300);
}
