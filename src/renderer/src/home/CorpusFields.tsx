import type { CorpusSpec } from '@shared/contract';
import type { CommandFailed } from '../api/client';
import { Field } from '../ui/forms';

export type CorpusKind = CorpusSpec['kind'];
export interface CorpusDraft {
  path: string;
  kind: CorpusKind;
}

export function corpusSpec(d: CorpusDraft): CorpusSpec {
  const path = d.path.trim();
  if (d.kind === 'jsonl') return { kind: 'jsonl', path, textField: 'text' };
  if (d.kind === 'folder') return { kind: 'folder', path, recursive: true };
  return { kind: 'txt', path };
}

/** Where the text comes from: a .txt file, a .jsonl file (field "text"), or a folder of text files. */
export function CorpusFields({ value, onChange, error, idPrefix }: { value: CorpusDraft; onChange: (d: CorpusDraft) => void; error: CommandFailed | undefined; idPrefix: string }) {
  return (
    <>
      <Field label="Corpus path" field="corpus.path" error={error} wide>
        <input name={`${idPrefix}-corpus-path`} className="grow" placeholder="/path/to/text.txt" value={value.path} onChange={(e) => onChange({ ...value, path: e.target.value })} aria-invalid={error?.field?.startsWith('corpus') ?? false} />
      </Field>
      <Field label="Kind" field="corpus.kind" error={error}>
        <select name={`${idPrefix}-corpus-kind`} value={value.kind} onChange={(e) => onChange({ ...value, kind: e.target.value as CorpusKind })}>
          <option value="txt">text file</option>
          <option value="jsonl">jsonl (text)</option>
          <option value="folder">folder</option>
        </select>
      </Field>
    </>
  );
}
