// Runs the JS kernels' range loops (rangeLoops.ts) on more than one core.
//
// tfjs-backend-wasm's threads work only inside its own C++ ops (XNNPACK's pool); our kernels are
// JS and would use one core while the other idles. In the threaded build the wasm heap is a
// SharedArrayBuffer, so a helper thread can read and write the same tensors: the caller's thread
// runs the first range itself while each helper runs one of the others, then waits for them.
// Kernels are synchronous, so the wait is Atomics.wait on a per-helper flag (allowed in Node's
// main thread and in workers); a helper's error comes back through receiveMessageOnPort.
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

/** A helper that has not answered by then is presumed dead; the kernel fails rather than hang. */
const HELPER_TIMEOUT_MS = 10 * 60_000;

const WAITING = 0, DONE = 1, FAILED = 2;

interface Helper {
  worker: Worker;
  /** [0]: WAITING while the helper works, then DONE or FAILED. */
  flag: Int32Array;
  errors: MessagePort;
}

let helpers: Helper[] | undefined;
let wantedThreads: number | undefined;

/**
 * How many threads the kernels may use (default: FEATURESCOPE_KERNEL_THREADS, else the wasm
 * backend's thread count, capped by the cores). Takes effect for kernels run after the call.
 */
export function setKernelThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`kernel threads must be a positive integer, got ${threads}`);
  wantedThreads = threads;
}

/** Threads the kernels use now (1 until the wasm backend runs threaded). */
export function kernelThreads(): number {
  return 1 + (helpers?.length ?? 0);
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
    Atomics.store(h.flag, 0, WAITING);
    h.worker.postMessage({ name, heap, args, lo: bound(i + 1), hi: bound(i + 2) });
  });
  let localError: unknown;
  try {
    loop(F, I, args, 0, bound(1));
  } catch (err) {
    localError = err; // still wait for the helpers: they are writing into the same heap
  }
  for (const h of busy) awaitHelper(h, name);
  if (localError !== undefined) throw localError;
}

function awaitHelper(h: Helper, name: string): void {
  if (Atomics.wait(h.flag, 0, WAITING, HELPER_TIMEOUT_MS) === 'timed-out') {
    throw new Error(`kernel ${name}: a helper thread did not answer within ${HELPER_TIMEOUT_MS / 60_000} minutes`);
  }
  if (Atomics.load(h.flag, 0) === FAILED) {
    const message = receiveMessageOnPort(h.errors)?.message as string | undefined;
    throw new Error(`kernel ${name} failed on a helper thread: ${message ?? 'no message'}`);
  }
}

function helperPool(): Helper[] {
  if (helpers !== undefined) return helpers;
  const threads = Math.max(1, Math.min(wantedThreads ?? defaultThreads(), availableParallelism()));
  helpers = [];
  try {
    for (let i = 1; i < threads; i++) helpers.push(startHelper());
  } catch {
    // No worker_threads here (or no memory for one): the kernels stay single-threaded.
    for (const h of helpers) void h.worker.terminate();
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
parentPort.on('message', ({ name, heap, args, lo, hi }) => {
  let state = ${DONE};
  try {
    LOOPS[name](new Float32Array(heap), new Int32Array(heap), args, lo, hi);
  } catch (err) {
    errors.postMessage(String((err && err.stack) || err));
    state = ${FAILED};
  }
  Atomics.store(flag, 0, state);
  Atomics.notify(flag, 0);
});
`;
}

let source: string | undefined;

function startHelper(): Helper {
  source ??= helperSource();
  const flagBuffer = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(source, { eval: true, workerData: { flag: flagBuffer, errors: port2 }, transferList: [port2] });
  worker.unref(); // idle helpers never keep the process alive
  port1.unref();
  return { worker, flag: new Int32Array(flagBuffer), errors: port1 };
}

/** Stops the helpers (tests, shutdown). Kernels run afterwards start new ones. */
export async function stopKernelThreads(): Promise<void> {
  const stopping = helpers ?? [];
  helpers = undefined;
  await Promise.all(stopping.map((h) => h.worker.terminate()));
}
