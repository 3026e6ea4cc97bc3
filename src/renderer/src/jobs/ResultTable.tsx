// A finished job's result as a small table: fields in words, numbers formatted, nested records
// flattened one level ("Evaluation · CE loss score"), lists of records as their own small table.
import type { ReactElement } from 'react';
import { formatValue, keyToWords } from './words';

type Json = unknown;
const isRecord = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `groupNames` names top-level fields in words of their own (a training's `metrics` → "Training (last batch)"). */
export function ResultTable({ value, groupNames }: { value: Json; groupNames?: Record<string, string> }) {
  if (!isRecord(value)) return <p className="mono">{printed('', value)}</p>;
  return (
    <table className="table compact result-table" aria-label="Job result">
      <tbody>{rows(value, [], groupNames ?? {})}</tbody>
    </table>
  );
}

function rows(record: Record<string, Json>, path: string[], names: Record<string, string> = {}): ReactElement[] {
  const words = (at: string[]) => at.map((k, i) => (i === 0 && names[k] !== undefined ? names[k] : keyToWords(k))).join(' · ');
  return Object.entries(record).flatMap(([key, v]) => {
    const at = [...path, key];
    // Records inside records (evaluation → metrics) read as one list of fields; a long one
    // (every setting of a training run) folds away under its name.
    if (isRecord(v) && path.length < 2 && Object.keys(v).length <= 16) return rows(v, at, names);
    if (isRecord(v)) {
      return [
        <tr key={at.join('.')} className="static">
          <th scope="row">{words(at)}</th>
          <td data-result-key={at.join('.')}>
            <details>
              <summary>{Object.keys(v).length} fields</summary>
              <table className="table compact nested-result">
                <tbody>{rows(v, [])}</tbody>
              </table>
            </details>
          </td>
        </tr>,
      ];
    }
    return [
      <tr key={at.join('.')} className="static">
        <th scope="row">{words(at)}</th>
        <td className="mono" data-result-key={at.join('.')}>
          {Array.isArray(v) && v.length > 0 && v.every(isRecord) ? <ListTable items={v} /> : printed(key, v)}
        </td>
      </tr>,
    ];
  });
}

function ListTable({ items }: { items: Array<Record<string, Json>> }) {
  const columns = [...new Set(items.flatMap((i) => Object.keys(i)))];
  return (
    <table className="table compact nested-result">
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c}>{keyToWords(c)}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {items.map((item, i) => (
          <tr key={i} className="static">
            {columns.map((c) => (
              <td key={c}>{printed(c, item[c])}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function printed(key: string, v: Json): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return formatValue(key, v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.every((x) => typeof x !== 'object' || x === null) ? v.map((x) => printed(key, x)).join(', ') : `${v.length} items`;
  return Object.entries(v as Record<string, Json>)
    .map(([k, x]) => `${keyToWords(k)} ${printed(k, x)}`)
    .join(' · ');
}
