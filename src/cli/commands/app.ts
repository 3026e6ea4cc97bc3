// Commands about the app itself: health, serving the UI, throughput.
import type { CliCommand } from '../command';
import { JSON_FLAG, parseIntOption } from '../args';
import { flagsFor } from '../flags';
import { handFlags, mergeFlags } from '../flag-set';
import { progressToStderr, clearProgress } from '../progress';
import { formatDoctor, printJson } from '../format';
import { callOrThrow } from '../../shared/call';
import { runJob } from '../../host/run-job';
import { startServer } from '../../host/serve/server';

const benchmark = flagsFor('engine.benchmark');

export const appCommands: Record<string, CliCommand> = {
  doctor: {
    summary: 'Report the compute backend (and why), versions and data paths',
    usage: 'featurescope doctor [--json]',
    flags: JSON_FLAG,
    async run(values, host) {
      const report = await callOrThrow(await host(), 'app.doctor', {});
      process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctor(report)}\n`);
      return 0;
    },
  },
  serve: {
    summary: 'Serve the workbench to a browser on 127.0.0.1 (prints the URL with a one-time token)',
    usage: 'featurescope serve [--port N]',
    // Serving is the CLI process's own job, not a command of the contract: its flag is written here.
    flags: handFlags({ port: { type: 'string', value: 'N', description: 'The port on 127.0.0.1 (default: a free one)' } }),
    async run(values, host) {
      const port = values.port === undefined ? 0 : parseIntOption('port', values.port, 0, 65535);
      const h = await host();
      const server = await startServer(h, { port, rendererDir: h.paths.rendererDir });
      process.stdout.write(`Featurescope is serving on 127.0.0.1 only. Open this address (it carries a one-time token):\n${server.url}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      return 0;
    },
  },
  benchmark: {
    summary: 'Measure fp32 matmul throughput of the engine backend',
    usage: 'featurescope benchmark [--size 512] [--seconds 3]',
    flags: mergeFlags(benchmark, JSON_FLAG),
    async run(values, host) {
      const input = await benchmark.read(values, host);
      const r = await runJob(await host(), 'engine.benchmark', input, progressToStderr());
      clearProgress();
      if (values.json) {
        printJson(r);
        return 0;
      }
      process.stdout.write(`${r.backend}: ${r.gflops.toFixed(2)} GFLOP/s (matmul ${r.size}×${r.size}, ${r.iterations} iterations in ${r.seconds.toFixed(2)} s)\n`);
      return 0;
    },
  },
};
