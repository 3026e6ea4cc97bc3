// How fields shared by many commands are spelled and read on the command line (see flags.ts).
import { resolve } from 'node:path';
import type { FieldRule } from './flags';
import { resolveModel, resolveSae } from './host-calls';

/** Old spellings of a field's flag, kept working. */
export const aka = (...aliases: string[]): FieldRule => ({ aliases });

/** --sae ID|NAME: an SAE by catalog id or by name. */
export const saeFlag: FieldRule = { flag: 'sae', value: 'ID|NAME', describe: (field) => `${field ?? 'The SAE'}, by catalog id or name`, resolve: (text, host) => resolveSae(host, text) };

/** --model DIR|NAME, the bundled model when left out. */
export const modelOrBundled: FieldRule = {
  value: 'DIR|NAME',
  describe: 'Model folder, or the name of a bundled or opened model (default: the bundled model)',
  resolve: (text, host) => resolveModel(host, text),
  whenAbsent: (host) => resolveModel(host, undefined),
};

/** --model DIR|NAME, left to the command's own default when not given. */
export const modelIfGiven: FieldRule = { value: 'DIR|NAME', resolve: (text, host) => resolveModel(host, text) };

/** A path on the command line is relative to where the user stands; the engine needs it absolute. */
export const pathFlag = (value = 'PATH', more: FieldRule = {}): FieldRule => ({ value, parse: (text) => resolve(text), ...more });

/** --replay exp-000123 (or a bare experiment id). */
export const replayFlag: FieldRule = {
  flag: 'replay',
  value: 'exp-000123',
  describe: 'Re-run this logged experiment and compare it with the log (the other options then do not apply)',
  note: '',
  parse: (text) => (/^\d+$/.test(text) ? Number(text) : text),
};
