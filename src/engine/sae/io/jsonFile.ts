// A small JSON config file of an SAE folder (cfg.json, config.json, activation_scaler.json), read
// with a size cap and refused, naming the file, when it is not a JSON object. Errors never quote
// the file's text.
import { readFileSync, statSync } from 'node:fs';
import { FeaturescopeError } from '../../../shared/errors';
import { jsonSyntaxProblem } from '../../formats/jsonProblem';

const MAX_CONFIG_BYTES = 1_000_000;

export function readJsonObject(path: string): Record<string, unknown> {
  if (statSync(path).size > MAX_CONFIG_BYTES) throw new FeaturescopeError('bad_file', `${path}: larger than ${MAX_CONFIG_BYTES} bytes`);
  const text = readFileSync(path, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new FeaturescopeError('bad_file', `${path}: ${jsonSyntaxProblem(text)}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new FeaturescopeError('bad_file', `${path}: cfg must be a JSON object`, 'cfg');
  return raw as Record<string, unknown>;
}

/** A field's value as the user wrote it, for messages: strings quoted, long values cut. */
export function shown(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
