// featurescope <command>: the same engine and contract as the desktop app, headless.
import { parseArgs } from 'node:util';
import { FeaturescopeError, toCommandError } from '../shared/errors';
import type { Host } from '../host/host';
import { createNodeHost } from '../host/node-host';
import type { CliCommand } from './command';
import { appCommands } from './commands/app';
import { auditCommands } from './commands/audit';
import { catalogCommands } from './commands/catalog';
import { convertCommands } from './commands/convert';
import { modelCommands } from './commands/model';
import { saeCommands } from './commands/sae';
import { sparseCommands } from './commands/sparse';
import { watchCommands } from './commands/watch';
import { taskCliCommands } from './commands/tasks';
import { circuitCliCommands } from './commands/circuits';
import { formatFlagHelp } from './flag-set';
import { clearProgress } from './progress';

/** Every subcommand; `--help` lists them in this order. */
const cliCommands: Record<string, CliCommand> = { ...appCommands, ...modelCommands, ...convertCommands, ...saeCommands, ...sparseCommands, ...catalogCommands, ...auditCommands, ...watchCommands, ...taskCliCommands, ...circuitCliCommands };

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
    const options = command.flags.help.length === 0 ? '' : `\nOptions:\n${formatFlagHelp(command.flags.help)}\n`;
    process.stdout.write(`${command.summary}\n\nUsage: ${command.usage}\n${options}`);
    return 0;
  }
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: command.flags.options, allowPositionals: command.positionals === true, strict: true }));
  } catch (err) {
    throw new FeaturescopeError('invalid_input', `${(err as Error).message} (see "featurescope ${name} --help")`);
  }
  let host: Host | undefined;
  const getHost = async () => {
    host ??= createNodeHost(name === 'serve' ? 'serve' : 'cli'); // doctor's mode: a browser is served, not a CLI
    await host.engine.whenReady();
    return host;
  };
  try {
    return await command.run(values, getHost, positionals);
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
