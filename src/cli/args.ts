// Reading flag values the contract does not describe alone: required strings, bounded integers, corpus specs.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CorpusSpec } from '../shared/contract';
import { FeaturescopeError } from '../shared/errors';
import { handFlags } from './flag-set';

export function requireString(values: Record<string, unknown>, flag: string): string {
  const v = values[flag];
  if (typeof v !== 'string' || v === '') throw new FeaturescopeError('invalid_input', `--${flag} is required.`, flag);
  return v;
}

export function parseIntOption(name: string, raw: unknown, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new FeaturescopeError('invalid_input', `--${name} must be an integer from ${min} to ${max}, got "${String(raw)}".`, name);
  return n;
}

/** --corpus PATH with --kind (guessed from the path when absent), --text-field, --recursive. */
export function corpusFromFlags(values: Record<string, unknown>): CorpusSpec {
  const path = resolve(requireString(values, 'corpus'));
  const kind = (values.kind as string | undefined) ?? (statSync(path, { throwIfNoEntry: false })?.isDirectory() ? 'folder' : path.endsWith('.jsonl') ? 'jsonl' : 'txt');
  if (kind === 'jsonl') return { kind, path, textField: (values['text-field'] as string | undefined) ?? 'text' };
  if (kind === 'folder') return { kind, path, recursive: values.recursive === true };
  if (kind === 'txt') return { kind, path };
  throw new FeaturescopeError('invalid_input', `--kind must be txt, jsonl or folder, got "${kind}".`, 'kind');
}

/** The flags that name a corpus, shared by every command that reads one (see corpusFromFlags). */
export const CORPUS_FLAGS = handFlags({
  corpus: { type: 'string', value: 'PATH', description: 'The corpus: a .txt file, a .jsonl file, or a folder of text files' },
  kind: { type: 'string', value: 'txt|jsonl|folder', description: 'How to read --corpus (default: from the path)' },
  'text-field': { type: 'string', value: 'NAME', description: 'The field of each .jsonl line that holds the text (default text)' },
  recursive: { type: 'boolean', description: 'Read the folder’s subfolders too' },
});

/** --json: the result as JSON on stdout instead of text. */
export const JSON_FLAG = handFlags({ json: { type: 'boolean', description: 'Print the result as JSON' } });
