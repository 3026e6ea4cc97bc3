import type { ModelInfo, SaeSummary, Watchlist } from '@shared/contract';
import { call } from '../api/client';
import { CorpusFields, corpusSpec, type CorpusDraft } from '../home/CorpusFields';
import { useSessionState } from '../home/useSessionState';
import { Field, FormError, numberOrUndefined, useAction } from '../ui/forms';
import { Tabs, type Tab } from '../ui/Tabs';

const SOURCE_TABS: ReadonlyArray<Tab<'prompts' | 'corpus'>> = [
  { id: 'prompts', label: 'Pasted prompts' },
  { id: 'corpus', label: 'Corpus file or folder' },
];

interface ScanDraft {
  source: 'prompts' | 'corpus';
  prompts: string;
  corpus: CorpusDraft;
  model: string;
  top: string;
  maxTokens: string;
}

const FIELDS = ['source', 'model', 'topPerFeature', 'maxTokens', 'watchlist', 'sae'];

/** scan.run: pasted prompts (one per line, each scanned alone) or a corpus path, with the SAE's model. */
export function ScanForm({ sae, watchlist, models, onStarted }: { sae: SaeSummary; watchlist: Watchlist; models: ModelInfo[]; onStarted: (jobId: string) => void }) {
  const trainedOn = sae.trainedOn ?? undefined;
  const [d, setD] = useSessionState<ScanDraft>('featurescope.watch.scan', { source: 'prompts', prompts: '', corpus: { path: '', kind: 'txt' }, model: '', top: '10', maxTokens: '' });
  const set = (patch: Partial<ScanDraft>) => setD((prev) => ({ ...prev, ...patch }));
  const action = useAction();
  // The model the SAE was trained on, by its folder: the engine says so if that folder is not on this machine.
  const trainedOnName = trainedOn === undefined ? undefined : (models.find((m) => m.path === trainedOn)?.name ?? trainedOn);
  const model = d.model || (trainedOn !== undefined ? '' : (models[0]?.path ?? ''));

  const submit = async () => {
    const prompts = d.prompts.split('\n').filter((l) => l.trim() !== '');
    const ref = await action.run(() =>
      call('scan.run', {
        sae: sae.id,
        watchlist: watchlist.id,
        source: d.source === 'prompts' ? { kind: 'prompts', prompts } : corpusSpec(d.corpus),
        ...(model ? { model } : {}),
        topPerFeature: numberOrUndefined(d.top),
        // Its field shows for a corpus only: a value kept from a corpus scan must not cut a prompt scan short.
        ...(d.source === 'corpus' ? { maxTokens: numberOrUndefined(d.maxTokens) } : {}),
      }),
    );
    if (ref) onStarted(ref.jobId);
  };

  return (
    <form
      className="form-grid nested"
      aria-label="Scan"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <Tabs tabs={SOURCE_TABS} value={d.source} onChange={(source) => set({ source })} label="Scan source" className="watch-source" />
      {d.source === 'prompts' ? (
        <Field label="Prompts, one per line (each is scanned alone)" field="source" error={action.error} wide>
          <textarea rows={6} value={d.prompts} onChange={(e) => set({ prompts: e.target.value })} aria-invalid={action.error?.field?.startsWith('source') ?? false} placeholder={'The nurse said that she\nThe engineer said that he'} />
        </Field>
      ) : (
        <CorpusFields value={d.corpus} onChange={(corpus) => set({ corpus })} error={action.error} idPrefix="scan" />
      )}
      <Field label="Model" field="model" error={action.error}>
        <select value={model} onChange={(e) => set({ model: e.target.value })}>
          {trainedOnName !== undefined ? <option value="">the one it was trained on ({trainedOnName})</option> : null}
          {models.map((m) => (
            <option key={m.path} value={m.path}>
              {m.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Contexts kept per feature" field="topPerFeature" error={action.error}>
        <input inputMode="numeric" value={d.top} onChange={(e) => set({ top: e.target.value })} aria-invalid={action.error?.field === 'topPerFeature'} />
      </Field>
      {d.source === 'corpus' ? (
        <Field label="Max tokens (blank: all)" field="maxTokens" error={action.error}>
          <input inputMode="numeric" value={d.maxTokens} onChange={(e) => set({ maxTokens: e.target.value })} aria-invalid={action.error?.field === 'maxTokens'} />
        </Field>
      ) : null}
      <div className="form-actions">
        <button className="btn primary" type="submit" disabled={action.busy}>
          Run scan
        </button>
        <span className="muted">
          {watchlist.entries.filter((e) => e.saeId === sae.id).length} watched features of {sae.name}
        </span>
      </div>
      <FormError error={action.error} fields={FIELDS.filter((f) => f !== 'watchlist' && f !== 'sae')} />
    </form>
  );
}
