// Commands about the app itself: health, serving the UI, throughput.
import type { CliCommand } from '../command';
import { JSON_FLAG, parseIntOption } from '../args';
import { flagsFor } from '../flags';
import { handFlags, mergeFlags } from '../flag-set';
import { progressToStderr, clearProgress } from '../progress';
import { formatDoctor, formatPlan, printJson } from '../format';
import { resolveModel } from '../host-calls';
import { callOrThrow } from '../../shared/call';
import { runJob } from '../../host/run-job';
import { startServer } from '../../host/serve/server';

const benchmark = flagsFor('engine.benchmark');

export const appCommands: Record<string, CliCommand> = {
  doctor: {
    summary: 'Report the compute backend (and why), versions and data paths; with --model, that model\'s memory plan',
    usage: [
      'featurescope doctor [--model DIR|NAME] [--json]',
      '',
      "--model reads the folder's config.json and weight headers (no tensor) and prints its memory plan:",
      'parameters, bytes as stored and as f32, whether the weights stay resident in the backend or stream',
      "in per layer, and the expected peak against the backend's limit and the free memory.",
    ].join('\n'),
    flags: mergeFlags(JSON_FLAG, handFlags({ model: { type: 'string', value: 'DIR|NAME', description: 'Also print the memory plan of this model folder' } })),
    async run(values, host) {
      const h = await host();
      const report = await callOrThrow(h, 'app.doctor', {});
      if (values.model === undefined) {
        process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctor(report)}\n`);
        return 0;
      }
      const path = await resolveModel(h, String(values.model));
      const memoryPlan = await callOrThrow(h, 'model.plan', { path });
      process.stdout.write(values.json ? `${JSON.stringify({ ...report, model: path, memoryPlan }, null, 2)}\n` : `${formatDoctor(report)}\n${formatPlan(path, memoryPlan)}\n`);
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
