// Sets of command-line options with their help lines: those flags.ts derives and those a command
// writes itself, merged per command and shown by --help.
import type { parseArgs } from 'node:util';

export type ParseArgsOptions = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>;

/** One option as --help shows it: its spellings, a placeholder for its value, what it does. */
export interface FlagHelp {
  names: string[];
  value?: string;
  description: string;
}

/** Options for parseArgs (every spelling) and their help lines. */
export interface FlagSet {
  options: ParseArgsOptions;
  help: FlagHelp[];
}

/** Flags a command handles itself (--json, the corpus group, interventions…), with their help. */
export function handFlags(flags: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; value?: string; description: string; aliases?: string[] }>): FlagSet {
  const options: ParseArgsOptions = {};
  const help: FlagHelp[] = [];
  for (const [name, f] of Object.entries(flags)) {
    for (const n of [name, ...(f.aliases ?? [])]) options[n] = f.multiple ? { type: f.type === 'boolean' ? 'boolean' : 'string', multiple: true } : { type: f.type };
    help.push({ names: [name, ...(f.aliases ?? [])], ...(f.value ? { value: f.value } : {}), description: f.description });
  }
  return { options, help };
}

/** Several flag sets as one; a spelling two sets both define must mean the same option (it is listed once). */
export function mergeFlags(...sets: FlagSet[]): FlagSet {
  const options: ParseArgsOptions = {};
  const help: FlagHelp[] = [];
  for (const set of sets) {
    for (const [name, o] of Object.entries(set.options)) {
      const had = options[name];
      if (had && (had.type !== o.type || had.multiple !== o.multiple)) throw new Error(`--${name} is defined twice, as different options.`);
      options[name] = o;
    }
    for (const h of set.help) if (!help.some((seen) => seen.names[0] === h.names[0])) help.push(h);
  }
  return { options, help };
}

/** The Options section of --help: spellings and placeholder, then the description (on its own line when the left side is long). */
export function formatFlagHelp(help: FlagHelp[]): string {
  const left = help.map((h) => `${h.names.map((n) => `--${n}`).join(', ')}${h.value ? ` ${h.value}` : ''}`);
  const width = Math.min(34, Math.max(0, ...left.map((l) => l.length)));
  return help
    .map((h, i) => {
      const l = left[i]!;
      return l.length > width ? `  ${l}\n  ${' '.repeat(width)}  ${h.description}` : `  ${l.padEnd(width)}  ${h.description}`;
    })
    .join('\n');
}
