import type { Host } from '../host/host';
import type { FlagSet } from './flag-set';

/** One `featurescope <name>` subcommand: its help, its flags, and what it does with a host. */
export interface CliCommand {
  summary: string;
  usage: string;
  /** Every option (derived from the contract, or the command's own) with its help line. */
  flags: FlagSet;
  /** Takes positional words (a sub-action such as `watchlist list`); others refuse any. */
  positionals?: boolean;
  run(values: Record<string, unknown>, host: () => Promise<Host>, positionals: string[]): Promise<number>;
}
