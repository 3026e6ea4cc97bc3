// A probe's labelled prompts: given inline, or as a .jsonl file of {"text": …, "label": 0|1} lines.
// A bad line is named by file and line number, never quoted.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ProbeTrainInput } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';

export type LabelledText = { text: string; label: 0 | 1 };

export function readExamples(examples: ProbeTrainInput['examples']): LabelledText[] {
  if (typeof examples !== 'string') return examples;
  const path = resolve(examples);
  if (!existsSync(path)) throw new FeaturescopeError('not_found', `examples: no file ${path}`, 'examples');
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line !== '')
    .map(([line, n]) => {
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch {
        throw new FeaturescopeError('bad_file', `${path}:${n}: not a JSON line`, 'examples');
      }
      const r = row as { text?: unknown; label?: unknown };
      if (typeof r.text !== 'string' || r.text === '' || (r.label !== 0 && r.label !== 1)) {
        throw new FeaturescopeError('bad_file', `${path}:${n}: needs a non-empty "text" and a "label" of 0 or 1`, 'examples');
      }
      return { text: r.text, label: r.label };
    });
}
