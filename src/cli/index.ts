// featurescope <command>: the same engine and contract as the desktop app, headless.
import { parseArgs } from 'node:util';
import type { Progress } from '../shared/contract';
import { FeaturescopeError, toCommandError } from '../shared/errors';
import type { Host } from '../main/host/host';
import { createNodeHost } from '../main/host/node-host';
import { runJob } from '../main/host/run-job';
import { startServer } from '../main/serve/server';
import { formatDoctor, formatProgress } from './format';

interface CliCommand {
  summary: string;
  usage: string;
  options: NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  run(values: Record<string, unknown>, host: () => Promise<Host>): Promise<number>;
}

const cliCommands: Record<string, CliCommand> = {
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

function parseIntOption(name: string, raw: unknown, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new FeaturescopeError('invalid_input', `--${name} must be an integer from ${min} to ${max}, got "${String(raw)}".`, name);
  return n;
}

async function callOrThrow(host: Host, command: string, input: unknown): Promise<unknown> {
  const r = await host.call(command, input);
  if (!r.ok) throw new FeaturescopeError(r.error.code, r.error.message, r.error.field);
  return r.value;
}

let progressShown = false;
function progressToStderr(): (p: Progress) => void {
  return (p) => {
    const line = formatProgress(p);
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}`);
    else process.stderr.write(`${line}\n`);
    progressShown = true;
  };
}
function clearProgress(): void {
  if (progressShown && process.stderr.isTTY) process.stderr.write('\n');
  progressShown = false;
}

function help(): string {
  const width = Math.max(...Object.keys(cliCommands).map((k) => k.length));
  return [
    'featurescope — look inside language models through sparse features, offline.',
    '',
    'Usage: featurescope <command> [options]',
    '',
    'Commands:',
    ...Object.entries(cliCommands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Run "featurescope <command> --help" for its options.',
    'Environment: FEATURESCOPE_HOME (data folder), FEATURESCOPE_BACKEND (gpu|native|wasm|cpu), FEATURESCOPE_THREADS.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`);
    return name === undefined ? 1 : 0;
  }
  const command = cliCommands[name];
  if (!command) {
    process.stderr.write(`featurescope: unknown command "${name}".\n\n${help()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.summary}\n\nUsage: ${command.usage}\n`);
    return 0;
  }
  const { values } = parseArgs({ args: rest, options: command.options, allowPositionals: false, strict: true });
  let host: Host | undefined;
  const getHost = async () => {
    host ??= createNodeHost('cli');
    await host.engine.whenReady();
    return host;
  };
  try {
    return await command.run(values as Record<string, unknown>, getHost);
  } finally {
    await host?.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    clearProgress();
    const e = toCommandError(err);
    process.stderr.write(`featurescope: ${e.message}\n`);
    process.exit(e.code === 'invalid_input' ? 2 : 1);
  },
);
