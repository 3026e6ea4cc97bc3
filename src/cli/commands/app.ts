// Commands about the app itself: health, serving the UI, throughput.
import type { CliCommand } from '../command';
import { parseIntOption } from '../args';
import { callOrThrow } from '../host-calls';
import { progressToStderr, clearProgress } from '../progress';
import { formatDoctor } from '../format';
import { runJob } from '../../host/run-job';
import { startServer } from '../../host/serve/server';

export const appCommands: Record<string, CliCommand> = {
  doctor: {
    summary: 'Report the compute backend (and why), versions and data paths',
    usage: 'featurescope doctor [--json]',
    options: { json: { type: 'boolean' } },
    async run(values, host) {
      const h = await host();
      const report = await callOrThrow(h, 'app.doctor', {});
      process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctor(report as never)}\n`);
      return 0;
    },
  },
  serve: {
    summary: 'Serve the workbench to a browser on 127.0.0.1 (prints the URL with a one-time token)',
    usage: 'featurescope serve [--port N]',
    options: { port: { type: 'string' } },
    async run(values, host) {
      const h = await host();
      const port = values.port === undefined ? 0 : parseIntOption('port', values.port, 0, 65535);
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
    options: { size: { type: 'string' }, seconds: { type: 'string' } },
    async run(values, host) {
      const h = await host();
      const input: { size?: number; seconds?: number } = {};
      if (values.size !== undefined) input.size = parseIntOption('size', values.size, 16, 4096);
      if (values.seconds !== undefined) input.seconds = Number(values.seconds);
      const r = await runJob(h, 'engine.benchmark', input, progressToStderr());
      clearProgress();
      process.stdout.write(`${r.backend}: ${r.gflops.toFixed(2)} GFLOP/s (matmul ${r.size}×${r.size}, ${r.iterations} iterations in ${r.seconds.toFixed(2)} s)\n`);
      return 0;
    },
  },
};
