// --ids-file FILE: a prompt as token ids, from a file a script wrote: a JSON array ([1, 2, 3]) or
// numbers separated by spaces, commas or newlines. Errors name the file and the item, never quote it.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { MAX_PROMPT_IDS } from '../shared/contract';
import { FeaturescopeError } from '../shared/errors';

/** Ample for MAX_PROMPT_IDS ids of up to 7 digits with separators; a bigger file is not a prompt. */
const MAX_BYTES = 16 * 1024 * 1024;

export function readIdsFile(given: string): number[] {
  const path = resolve(given);
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new FeaturescopeError('not_found', `--ids-file ${path} does not exist.`, 'ids-file');
  if (!stat.isFile()) throw new FeaturescopeError('invalid_input', `--ids-file ${path} is not a file.`, 'ids-file');
  if (stat.size > MAX_BYTES) throw new FeaturescopeError('invalid_input', `--ids-file ${path} is ${stat.size} bytes; a prompt of at most ${MAX_PROMPT_IDS} ids fits in ${MAX_BYTES}.`, 'ids-file');
  const text = readFileSync(path, 'utf8').trim();
  const items = text.startsWith('[') ? jsonItems(text, path) : text.split(/[\s,]+/).filter((t) => t !== '');
  if (items.length === 0) throw new FeaturescopeError('invalid_input', `--ids-file ${path} holds no token ids.`, 'ids-file');
  if (items.length > MAX_PROMPT_IDS) throw new FeaturescopeError('invalid_input', `--ids-file ${path} holds ${items.length} ids; at most ${MAX_PROMPT_IDS}.`, 'ids-file');
  return items.map((item, i) => {
    const n = typeof item === 'number' ? item : /^\d+$/.test(item) ? Number(item) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 0) throw new FeaturescopeError('invalid_input', `--ids-file ${path}: item ${i + 1} is not a token id (a non-negative integer).`, 'ids-file');
    return n;
  });
}

function jsonItems(text: string, path: string): Array<number | string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new FeaturescopeError('invalid_input', `--ids-file ${path} starts like a JSON array but is not valid JSON.`, 'ids-file');
  }
  if (!Array.isArray(parsed)) throw new FeaturescopeError('invalid_input', `--ids-file ${path} must hold one JSON array of ids.`, 'ids-file');
  return parsed.map((v) => (typeof v === 'number' ? v : 'x'));
}
