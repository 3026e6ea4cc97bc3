// The engine process: tfjs, models, SAE training and analysis run here, never on the UI thread.
// It receives already-validated commands from the host, runs them, and reports results,
// job progress and catalog changes. The host supervises it and restarts it if it dies.
import { parseCommandInput } from '../shared/validate';
import { FeaturescopeError, toCommandError } from '../shared/errors';
import type { CallerKind, HostToEngine } from '../shared/engine-protocol';
import { connectToHost } from './transport';
import { initBackend } from './backend';
import { createHandlers } from './handlers';
import { createEngineServices } from './services';
import { createJobContext } from './jobs/context';
import { takeOutputLease, takeSaeUseLease } from './jobs/job-leases';

async function main(): Promise<void> {
  const host = connectToHost();
  const services = createEngineServices(__dirname, (tables) => host.send({ kind: 'catalog-changed', tables }));
  const { calls: callHandlers, jobs: jobHandlers, idle } = createHandlers(services);
  const running = new Map<string, AbortController>();
  const queued: HostToEngine[] = [];
  let ready = false;

  async function handle(message: HostToEngine): Promise<void> {
    // A model or SAE a command holds is not disposed under it when another command evicts it from its cache.
    if (message.kind === 'cancel') return void running.get(message.jobId)?.abort();
    idle.begin();
    try {
      await handleWork(message);
    } finally {
      idle.end();
    }
  }

  async function handleWork(message: Exclude<HostToEngine, { kind: 'cancel' }>): Promise<void> {
    switch (message.kind) {
      case 'call': {
        try {
          const handler = (callHandlers as Record<string, ((input: unknown, caller: CallerKind) => unknown) | undefined>)[message.command];
          if (!handler) throw new FeaturescopeError('unknown_command', `The engine has no command "${message.command}".`);
          // The host validated already; parsing again here keeps the engine safe on its own.
          const input = parseCommandInput(message.command, message.input);
          const lease = takeOutputLease(services, message.command, input); // sae.import writes an SAE folder
          const value = await Promise.resolve()
            .then(() => handler(input, message.caller ?? 'cli'))
            .finally(() => lease?.release());
          host.send({ kind: 'reply', id: message.id, ok: true, value });
        } catch (err) {
          host.send({ kind: 'reply', id: message.id, ok: false, error: toCommandError(err) });
        }
        return;
      }
      case 'job': {
        const controller = new AbortController();
        running.set(message.jobId, controller);
        const ctx = createJobContext(
          message.jobId,
          controller.signal,
          (progress) => host.send({ kind: 'job-progress', jobId: message.jobId, progress }),
          services.catalogChanged,
          message.caller ?? 'cli',
        );
        try {
          const handler = (jobHandlers as Record<string, ((input: unknown, c: typeof ctx) => Promise<unknown>) | undefined>)[message.command];
          if (!handler) throw new FeaturescopeError('unknown_command', `The engine has no job "${message.command}".`);
          const input = parseCommandInput(message.command, message.input);
          // One writer per output across every process on the workspace. Released however the job
          // ends, before the end is reported: whoever reacts to it may start the next writer.
          const lease = takeOutputLease(services, message.command, input);
          // Says the job reads its SAE, so a delete or rename of it waits (sae.delete, sae.rename).
          let use: ReturnType<typeof takeSaeUseLease> = null;
          try {
            use = takeSaeUseLease(services, message.jobId, message.command, input);
          } catch (err) {
            lease?.release();
            throw err;
          }
          const result = await handler(input, ctx).finally(() => {
            lease?.release();
            use?.release();
          });
          host.send({ kind: 'job-done', jobId: message.jobId, result });
        } catch (err) {
          const error = toCommandError(err);
          if (error.code === 'cancelled' || controller.signal.aborted) host.send({ kind: 'job-cancelled', jobId: message.jobId });
          else host.send({ kind: 'job-failed', jobId: message.jobId, error });
        } finally {
          running.delete(message.jobId);
        }
        return;
      }
    }
  }

  host.onMessage((message) => {
    if (!ready) queued.push(message);
    else void handle(message);
  });

  const backend = await initBackend();
  // Create and migrate the catalog before saying ready: the host's readers open it only after that.
  // A catalog that cannot be opened must not keep the engine down; its commands report the error.
  try {
    services.catalog();
  } catch (err) {
    process.stderr.write(`featurescope engine: the workspace catalog is unavailable: ${toCommandError(err).message}\n`);
  }
  ready = true;
  host.send({ kind: 'ready', backend, pid: process.pid });
  for (const message of queued.splice(0)) void handle(message);
}

main().catch((err) => {
  // Startup failed (e.g. no usable tfjs backend): say why on stderr, which the host logs, and exit non-zero.
  process.stderr.write(`featurescope engine failed to start: ${toCommandError(err).message}\n`);
  process.exit(1);
});
