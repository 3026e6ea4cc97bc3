// Node `worker_threads` standing in for the browser `Worker` that the threaded-SIMD emscripten
// build of tfjs-backend-wasm expects. Out of the box tfjs never loads that build in Node
// (tfjs issue 3830); when forced to, three things break and this file mends each:
//
// 1. tfjs hands emscripten a blob: URL for the pthread worker script. Node's Worker cannot load
//    blob: URLs, so the shim ignores the URL and evaluates the same script text (shipped as
//    wasm-out/tfjs-backend-wasm-threaded-simd.worker.js, a module exporting it as a string).
// 2. The 'load' message carries the main script as a Blob whose text is the *bundled* factory,
//    whose free variables (require$$0, commonjsGlobal…) exist only inside tfjs's bundle. The shim
//    swaps it for the path of the original emscripten output (wasm-out/…threaded-simd.js), which
//    the worker reads with fs and evaluates: the same build, written for plain `require`.
// 3. Emscripten `ref()`s a worker while its pthread runs. XNNPACK's pool threads run forever, so
//    the process could never exit: `ref()` is a no-op here (pool threads are daemons).
//
// Emscripten itself assigns `globalThis.Worker = worker_threads.Worker` when it starts in Node,
// so the shim is installed as an accessor that keeps returning the shim and ignores that write.
import { Worker as NodeWorker, type TransferListItem } from 'node:worker_threads';
import { packageRequire } from './package-require';

export const THREADED_MAIN_SCRIPT = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
const THREADED_WORKER_MODULE = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';

export interface PthreadWorkerShim {
  /** Rejects with the first error a pthread worker reports (so init can fall back instead of crashing). */
  readonly failed: Promise<never>;
  /** Terminates every worker this shim started. */
  terminateAll(): Promise<void>;
  /**
   * Init is over: removes the global `Worker` accessor (workers already started keep running).
   * After a success, later worker errors crash the process as emscripten intends — a dead pool
   * thread would otherwise leave the next op waiting forever, and a crashed engine gets restarted.
   * After a failure, stragglers from the abandoned pool stay swallowed.
   */
  finishInit(succeeded: boolean): void;
}

const liveWorkers = new Set<NodeWorker>();

/** Every pthread worker still alive in this process (for shutdown). */
export function livePthreadWorkers(): ReadonlySet<NodeWorker> {
  return liveWorkers;
}

/**
 * Installs the shim as `globalThis.Worker`.
 * @param mainScriptPath absolute path of the emscripten main script the workers evaluate;
 *   defaults to the one inside the installed tfjs-backend-wasm.
 */
export function installPthreadWorkerShim(mainScriptPath?: string): PthreadWorkerShim {
  const mainScript = mainScriptPath ?? packageRequire.resolve(THREADED_MAIN_SCRIPT);
  const workerSource = loadWorkerSource();

  let swallowErrors = true;
  let reportFailure: (err: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    reportFailure = reject;
  });
  failed.catch(() => {}); // observed by whoever races it; never an unhandled rejection

  class EmscriptenPthreadWorker extends NodeWorker {
    constructor(_url: string | URL) {
      // The URL is tfjs's blob: URL of this very script; Node cannot open it, so use the text.
      super(workerSource, { eval: true, name: 'tfjs-wasm-pthread' });
      liveWorkers.add(this);
      this.once('exit', () => liveWorkers.delete(this));
      catchWorkerErrors(this);
    }

    override postMessage(message: unknown, transferList?: readonly TransferListItem[]): void {
      const msg = message as { cmd?: unknown; urlOrBlob?: unknown } | null;
      if (msg && msg.cmd === 'load' && typeof msg.urlOrBlob !== 'string') {
        message = { ...msg, urlOrBlob: mainScript };
      }
      super.postMessage(message, transferList);
    }

    override ref(): void {
      // XNNPACK pool threads never finish: they must not keep the process alive.
    }
  }

  // Emscripten routes worker errors to `worker.onerror`, which logs and rethrows: an uncaught
  // exception that kills the engine. During init the accessor wraps whatever handler emscripten
  // assigns so the error goes to init instead, which then falls back to the single-threaded build.
  function catchWorkerErrors(worker: EmscriptenPthreadWorker): void {
    let handler: ((e: unknown) => void) | undefined;
    Object.defineProperty(worker, 'onerror', {
      configurable: true,
      get: () => handler,
      set: (fn: (e: unknown) => void) => {
        handler = (e: unknown) => {
          if (!swallowErrors) return fn(e);
          try {
            fn(e);
          } catch {
            // emscripten already printed "worker sent an error!"; init reports the cause
          }
          reportFailure(e instanceof Error ? e : new Error(String(e)));
        };
      },
    });
  }

  Object.defineProperty(globalThis, 'Worker', {
    configurable: true,
    enumerable: false,
    get: () => EmscriptenPthreadWorker,
    set: () => {
      // emscripten's `commonjsGlobal.Worker = worker_threads.Worker` lands here and is ignored
    },
  });

  return {
    failed,
    terminateAll: terminateAllPthreadWorkers,
    finishInit: (succeeded) => {
      swallowErrors = !succeeded;
      delete (globalThis as { Worker?: unknown }).Worker;
    },
  };
}

export async function terminateAllPthreadWorkers(): Promise<void> {
  const workers = [...liveWorkers];
  liveWorkers.clear();
  await Promise.all(workers.map((w) => w.terminate().catch(() => 0)));
}

function loadWorkerSource(): string {
  const mod = packageRequire(THREADED_WORKER_MODULE) as { wasmWorkerContents?: unknown };
  if (typeof mod.wasmWorkerContents !== 'string') {
    throw new Error(`${THREADED_WORKER_MODULE} no longer exports wasmWorkerContents (tfjs-backend-wasm changed its layout)`);
  }
  // The text came out of a template literal, so its "\n" escapes became real newlines, which
  // break the string literals they sit in. tfjs escapes them again the same way.
  return mod.wasmWorkerContents.replace(/\n/g, '\\n');
}
