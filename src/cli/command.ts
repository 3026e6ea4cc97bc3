import type { parseArgs } from 'node:util';
import type { Host } from '../host/host';

/** One `featurescope <name>` subcommand: its help, its flags, and what it does with a host. */
export interface CliCommand {
  summary: string;
  usage: string;
  options: NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  /** Takes positional words (a sub-action such as `watchlist list`); others refuse any. */
  positionals?: boolean;
  run(values: Record<string, unknown>, host: () => Promise<Host>, positionals: string[]): Promise<number>;
}
