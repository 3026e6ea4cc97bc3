// Child process for the kill -9 test: runs one capture (options as JSON in argv[2]) on the wasm
// backend and prints a line per progress update, until the parent kills it.
import { initBackend } from '../../../src/engine/backend';
import { type CaptureOptions, captureActivations } from '../../../src/engine/capture/capture-job';

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as CaptureOptions;
  await initBackend({ prefer: 'wasm', threads: 1 });
  const signal = new AbortController().signal;
  await captureActivations(opts, { signal, meter: () => ({ update: (done) => process.stdout.write(`progress ${done}\n`) }) });
  process.stdout.write('finished\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
