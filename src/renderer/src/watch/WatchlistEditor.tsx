import { useEffect, useRef, useState } from 'react';
import type { Watchlist } from '@shared/contract';
import { call } from '../api/client';
import { formatAct } from '../features/tokens';
import { FeatureLink } from '../ui/FeatureLink';
import { Field, FormError, useAction } from '../ui/forms';

/** One entry being edited: the threshold as typed (blank = default from the analysed max). */
interface DraftEntry {
  idx: number;
  threshold: string;
  label: string;
  /** What the catalog says about the feature, for display. */
  title: string | null;
  maxAct: number | null;
}

const FIELDS = ['name', 'note', 'entries', 'id'];

function draftOf(w: Watchlist | null, saeId: number): DraftEntry[] {
  return (w?.entries ?? [])
    .filter((e) => e.saeId === saeId)
    .map((e) => ({ idx: e.idx, threshold: String(Number(e.threshold.toPrecision(6))), label: e.label ?? '', title: e.userLabel ?? e.explanation ?? null, maxAct: e.maxAct }));
}

/**
 * Create or edit a watchlist's features of one SAE: add by index (the feature's label and analysed
 * max come from the catalog), set thresholds in activation units, save, delete. Entries of other
 * SAEs in the same watchlist are kept as they are.
 */
export function WatchlistEditor({ saeId, dSae, watchlist, onSaved, onDeleted }: { saeId: number; dSae: number; watchlist: Watchlist | null; onSaved: (w: Watchlist) => void; onDeleted: () => void }) {
  const [name, setName] = useState(watchlist?.name ?? '');
  const [note, setNote] = useState(watchlist?.note ?? '');
  const [entries, setEntries] = useState<DraftEntry[]>(() => draftOf(watchlist, saeId));
  const [addIdx, setAddIdx] = useState('');
  const [addThreshold, setAddThreshold] = useState('');
  const save = useAction();
  const add = useAction();

  // The list is re-read after every catalog write (a scan, a label, anything): only a different
  // list, a different SAE or a new version of this list (its updatedAt) resets the form.
  const id = watchlist?.id;
  const stamp = watchlist?.updatedAt;
  const latest = useRef(watchlist);
  latest.current = watchlist;
  const shown = useRef({ id, stamp, saeId });
  /** The updatedAt of this form's last save, and whether one is in flight: a reset to it is not news. */
  const ownSave = useRef<number | undefined>(undefined);
  const saving = useRef(false);
  const [notice, setNotice] = useState<string>();
  useEffect(() => {
    const before = shown.current;
    shown.current = { id, stamp, saeId };
    if (before.id === id && before.stamp === stamp && before.saeId === saeId) return; // the state was initialised from these
    const w = latest.current;
    setName(w?.name ?? '');
    setNote(w?.note ?? '');
    setEntries(draftOf(w, saeId));
    save.clear();
    add.clear();
    // A new version of this list that this form did not save was written elsewhere (the feature page, the CLI): say why the form changed.
    const elsewhere = before.id === id && before.saeId === saeId && stamp !== undefined && stamp !== ownSave.current && !saving.current;
    setNotice(elsewhere ? `${w?.name ?? 'This watchlist'} was changed elsewhere; the form now shows it as it is.` : undefined);
  }, [id, stamp, saeId]);

  const addFeature = async () => {
    const idx = Number(addIdx.trim());
    const ok = await add.run(async () => {
      if (addIdx.trim() === '' || !Number.isInteger(idx) || idx < 0 || idx >= dSae) throw new Error(`A feature index of this SAE is a whole number from 0 to ${dSae - 1}.`);
      if (entries.some((e) => e.idx === idx)) throw new Error(`Feature ${idx} is already on this watchlist.`);
      // The catalog's view of the feature; an SAE without an analysis has none, which is fine with a threshold.
      const page = await call('catalog.feature', { saeId, idx }).catch(() => null);
      setEntries((list) => [...list, { idx, threshold: addThreshold.trim(), label: '', title: page ? (page.label.user ?? page.label.auto) : null, maxAct: page ? page.feature.maxAct : null }].sort((a, b) => a.idx - b.idx));
      return true;
    });
    if (ok) {
      setAddIdx('');
      setAddThreshold('');
    }
  };

  const submit = async () => {
    saving.current = true;
    setNotice(undefined);
    const saved = await save.run(async () => {
      // The whole watchlist is replaced on save: keep the entries of other SAEs.
      const others = (watchlist?.entries ?? []).filter((e) => e.saeId !== saeId).map((e) => ({ saeId: e.saeId, idx: e.idx, threshold: e.threshold, ...(e.label ? { label: e.label } : {}) }));
      const mine = entries.map((e) => ({
        saeId,
        idx: e.idx,
        ...(e.threshold.trim() === '' ? {} : { threshold: Number(e.threshold) }),
        ...(e.label.trim() === '' ? {} : { label: e.label.trim() }),
      }));
      // With the version this form was filled from: the engine refuses the save if the list was written since.
      return call('watchlist.save', { ...(watchlist ? { id: watchlist.id, expectedUpdatedAt: watchlist.updatedAt } : {}), name, note, entries: [...others, ...mine] });
    });
    if (saved) ownSave.current = saved.updatedAt;
    saving.current = false;
    if (saved) onSaved(saved);
  };

  const remove = async () => {
    if (!watchlist) return;
    const r = await save.run(() => call('watchlist.delete', { watchlist: watchlist.id }));
    if (r) onDeleted();
  };

  const entryError = (i: number) => (save.error?.field?.startsWith('entries.') ? save.error.field.split('.')[1] === String(i + (watchlist?.entries.filter((e) => e.saeId !== saeId).length ?? 0)) : false);

  return (
    <form
      className="panel watch-editor"
      aria-label="Edit watchlist"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <header className="panel-head">
        <h3>{watchlist ? `Watchlist ${watchlist.name}` : 'New watchlist'}</h3>
        <span className="muted">{entries.length} features of this SAE</span>
      </header>
      <div className="form-row">
        <Field label="Name" field="name" error={save.error}>
          <input value={name} onChange={(e) => setName(e.target.value)} aria-invalid={save.error?.field === 'name'} placeholder="e.g. pronouns" />
        </Field>
        <Field label="Note" field="note" error={save.error} wide>
          <input className="grow" value={note} onChange={(e) => setNote(e.target.value)} placeholder="what this watchlist is for" />
        </Field>
      </div>
      <table className="table compact watch-entries" aria-label="Watched features">
        <thead>
          <tr>
            <th className="num">Feature</th>
            <th>Label / explanation</th>
            <th className="num">Analysed max</th>
            <th>Threshold</th>
            <th>Own label</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {entries.map((e, i) => (
            <tr key={e.idx} className="static" data-idx={e.idx}>
              <td className="num mono">{e.maxAct === null ? `#${e.idx}` : <FeatureLink saeId={saeId} idx={e.idx}>#{e.idx}</FeatureLink>}</td>
              <td className="watch-title">{e.title ?? <span className="muted">no analysis</span>}</td>
              <td className="num">{e.maxAct === null ? '—' : formatAct(e.maxAct)}</td>
              <td>
                <input
                  aria-label={`Threshold of feature ${e.idx}`}
                  inputMode="decimal"
                  value={e.threshold}
                  placeholder={e.maxAct === null ? 'required' : `½ max`}
                  aria-invalid={entryError(i)}
                  onChange={(ev) => setEntries((list) => list.map((x) => (x.idx === e.idx ? { ...x, threshold: ev.target.value } : x)))}
                />
              </td>
              <td>
                <input aria-label={`Own label of feature ${e.idx}`} value={e.label} onChange={(ev) => setEntries((list) => list.map((x) => (x.idx === e.idx ? { ...x, label: ev.target.value } : x)))} />
              </td>
              <td>
                <button type="button" className="btn small" aria-label={`Remove feature ${e.idx}`} onClick={() => setEntries((list) => list.filter((x) => x.idx !== e.idx))}>
                  ×
                </button>
              </td>
            </tr>
          ))}
          {entries.length === 0 ? (
            <tr className="static">
              <td colSpan={6} className="muted">
                No features yet: add one by its index below.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      <div className="form-row watch-add">
        <Field label="Feature index" field="add" error={undefined}>
          <input
            value={addIdx}
            inputMode="numeric"
            onChange={(e) => setAddIdx(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                void addFeature();
              }
            }}
            aria-invalid={add.error !== undefined}
          />
        </Field>
        <Field label="Threshold (blank: ½ analysed max)" field="add-threshold" error={undefined}>
          <input value={addThreshold} inputMode="decimal" onChange={(e) => setAddThreshold(e.target.value)} />
        </Field>
        <button type="button" className="btn" onClick={() => void addFeature()} disabled={add.busy}>
          Add feature
        </button>
        {add.error ? (
          <span className="error-text" role="alert">
            {add.error.message}
          </span>
        ) : null}
      </div>
      <div className="form-actions">
        <button className="btn primary" type="submit" disabled={save.busy || name.trim() === ''} title={name.trim() === '' ? 'Give the watchlist a name first' : undefined}>
          Save watchlist
        </button>
        {watchlist ? (
          <button type="button" className="btn" onClick={() => void remove()} disabled={save.busy}>
            Delete
          </button>
        ) : null}
      </div>
      {notice && !save.error ? (
        <p className="muted form-error" role="status">
          {notice}
        </p>
      ) : null}
      {save.error?.field?.startsWith('entries.') ? (
        <p className="error-text form-error" role="alert">
          {save.error.message}
        </p>
      ) : (
        <FormError error={save.error} fields={FIELDS} />
      )}
    </form>
  );
}
