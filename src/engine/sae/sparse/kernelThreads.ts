// Runs the JS kernels' range loops (rangeLoops.ts) on more than one core.
//
// tfjs-backend-wasm's threads work only inside its own C++ ops (XNNPACK's pool); our kernels are
// JS and would use one core while the other idles. In the threaded build the wasm heap is a
// SharedArrayBuffer, so a helper thread can read and write the same tensors: the caller's thread
// runs the first range itself while each helper runs one of the others, then waits for them all.
// Kernels are synchronous, so the wait is Atomics.wait on a per-helper flag (allowed in Node's
// main thread and in workers); a helper's error comes back through receiveMessageOnPort.
//
// Each hand-off carries a job number and the helper writes back the number it finished, so a
// late answer to an older job can never pass for the current one. A helper that does not answer
// in time, or that dies (its 'error'/'exit' events, seen once the caller is back in the event
// loop), is terminated and dropped: later kernels run on the threads that remain.
//
// With a non-shared heap (single-threaded build), one thread wanted, too little work to repay a
// hand-off (~0.1 ms), or helpers that cannot start, the loop runs whole on the caller's thread:
// the same function over the whole range, so results are identical either way.
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { RANGE_LOOPS, type RangeLoopName } from './rangeLoops';

/** Below this many inner-loop steps a kernel runs on one thread: the hand-off would cost more. */
const MIN_PARALLEL_WORK = 1 << 18;

/**
 * A helper that has not answered by then is presumed dead (its range of the biggest kernel here
 * takes well under a second); the kernel fails rather than hang the engine.
 */
const HELPER_TIMEOUT_MS = 2 * 60_000;

/** flag[0]: number of the last job finished; flag[1]: 1 if that job failed. */
const FINISHED = 0, FAILED = 1;

interface Helper {
  worker: Worker;
  flag: Int32Array;
  errors: MessagePort;
  /** Number of the last job handed to it. */
  job: number;
  dead: boolean;
}

let helpers: Helper[] | undefined;
/** The thread count the pool was built for. */
let poolThreads = 0;
let wantedThreads: number | undefined;

/**
 * How many threads the kernels may use (default: FEATURESCOPE_KERNEL_THREADS, else the wasm
 * backend's thread count), capped by the cores. The next kernel rebuilds the pool to match.
 */
export function setKernelThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`kernel threads must be a positive integer, got ${threads}`);
  wantedThreads = threads;
}

/** Threads the kernels use now (1 until the wasm backend runs threaded). */
export function kernelThreads(): number {
  return 1 + (helpers?.filter((h) => !h.dead).length ?? 0);
}

/**
 * Runs RANGE_LOOPS[name] over [0, total), split across threads when the heap is shared and the
 * work (≈ inner-loop steps) is large enough. `heap` is the wasm heap the offsets in `args` index.
 */
export function runRanges(name: RangeLoopName, heap: ArrayBufferLike, args: readonly number[], total: number, work: number): void {
  const loop = RANGE_LOOPS[name];
  const pool = heap instanceof SharedArrayBuffer && work >= MIN_PARALLEL_WORK && total > 1 ? helperPool() : [];
  const F = new Float32Array(heap), I = new Int32Array(heap);
  if (pool.length === 0) {
    loop(F, I, args, 0, total);
    return;
  }
  const parts = Math.min(pool.length + 1, total);
  const bound = (p: number): number => Math.round((total * p) / parts);
  const busy = pool.slice(0, parts - 1);
  busy.forEach((h, i) => {
    h.job += 1;
    h.worker.postMessage({ job: h.job, name, heap, args, lo: bound(i + 1), hi: bound(i + 2) });
  });
  const errors: unknown[] = [];
  try {
    loop(F, I, args, 0, bound(1));
  } catch (err) {
    errors.push(err);
  }
  // Every helper is waited for, even after an error: until then it may still write into the heap.
  for (const h of busy) {
    const problem = awaitHelper(h, name);
    if (problem) errors.push(problem);
  }
  if (errors.length > 0) throw errors[0];
}

/** Waits for the helper's current job; returns the error to raise, if any. */
function awaitHelper(h: Helper, name: string): Error | null {
  const deadline = Date.now() + HELPER_TIMEOUT_MS;
  for (;;) {
    const done = Atomics.load(h.flag, FINISHED);
    if (done === h.job) break;
    const left = deadline - Date.now();
    if (left <= 0 || Atomics.wait(h.flag, FINISHED, done, left) === 'timed-out') {
      drop(h);
      return new Error(`kernel ${name}: a helper thread did not answer within ${HELPER_TIMEOUT_MS / 60_000} minutes; it was stopped`);
    }
  }
  if (Atomics.load(h.flag, FAILED) === 1) {
    const message = receiveMessageOnPort(h.errors)?.message as string | undefined;
    return new Error(`kernel ${name} failed on a helper thread: ${message ?? 'no message'}`);
  }
  return null;
}

function drop(h: Helper): void {
  h.dead = true;
  void h.worker.terminate();
  if (helpers) helpers = helpers.filter((x) => x !== h);
}

function helperPool(): Helper[] {
  const threads = Math.max(1, Math.min(wantedThreads ?? defaultThreads(), availableParallelism()));
  if (helpers !== undefined && poolThreads === threads) return helpers;
  for (const h of helpers ?? []) drop(h);
  poolThreads = threads;
  helpers = [];
  try {
    for (let i = 1; i < threads; i++) helpers.push(startHelper());
  } catch {
    // No worker_threads here (or no memory for one): the kernels stay single-threaded.
    for (const h of helpers) drop(h);
    helpers = [];
  }
  return helpers;
}

function defaultThreads(): number {
  const fromEnv = Number(process.env.FEATURESCOPE_KERNEL_THREADS);
  if (Number.isInteger(fromEnv) && fromEnv >= 1) return fromEnv;
  // The wasm backend's own thread count: the user's thread setting already went into it.
  return getThreadsCount();
}

/** The helper's whole program: the loops' source and a message handler. */
function helperSource(): string {
  const loops = Object.entries(RANGE_LOOPS)
    .map(([name, fn]) => `${JSON.stringify(name)}: ${fn.toString()}`)
    .join(',\n');
  return `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
// Bundlers that keep function names may emit __name(...) calls; they are no-ops here.
var __name = (f) => f;
const LOOPS = {\n${loops}\n};
const flag = new Int32Array(workerData.flag);
const errors = workerData.errors;
parentPort.on('message', ({ job, name, heap, args, lo, hi }) => {
  let failed = 0;
  try {
    LOOPS[name](new Float32Array(heap), new Int32Array(heap), args, lo, hi);
  } catch (err) {
    errors.postMessage(String((err && err.stack) || err));
    failed = 1;
  }
  Atomics.store(flag, ${FAILED}, failed);
  Atomics.store(flag, ${FINISHED}, job);
  Atomics.notify(flag, ${FINISHED});
});
`;
}

let source: string | undefined;

function startHelper(): Helper {
  source ??= helperSource();
  const flagBuffer = new SharedArrayBuffer(8);
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(source, { eval: true, workerData: { flag: flagBuffer, errors: port2 }, transferList: [port2] });
  const helper: Helper = { worker, flag: new Int32Array(flagBuffer), errors: port1, job: 0, dead: false };
  // A helper that dies is dropped, not left to fail the engine with an unhandled 'error' event.
  worker.on('error', () => drop(helper));
  worker.on('exit', () => {
    if (!helper.dead) drop(helper);
  });
  worker.unref(); // idle helpers never keep the process alive
  port1.unref();
  return helper;
}

/** The live helpers' workers (diagnostics and tests). */
export function kernelHelperWorkers(): readonly Worker[] {
  return (helpers ?? []).filter((h) => !h.dead).map((h) => h.worker);
}

/** Stops the helpers (tests, shutdown). Kernels run afterwards start new ones. */
export async function stopKernelThreads(): Promise<void> {
  const stopping = helpers ?? [];
  helpers = undefined;
  for (const h of stopping) h.dead = true;
  await Promise.all(stopping.map((h) => h.worker.terminate()));
}
