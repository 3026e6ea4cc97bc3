import type { parseArgs } from 'node:util';
import type { Host } from '../main/host/host';

/** One `featurescope <name>` subcommand: its help, its flags, and what it does with a host. */
export interface CliCommand {
  summary: string;
  usage: string;
  options: NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  run(values: Record<string, unknown>, host: () => Promise<Host>): Promise<number>;
}
