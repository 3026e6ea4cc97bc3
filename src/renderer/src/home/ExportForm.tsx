import { useState } from 'react';
import type { JobInfo, SaeSummary } from '@shared/contract';
import { call } from '../api/client';
import { useCommand } from '../api/hooks';
import { claimError, Field, FormError, useAction } from '../ui/forms';
import { jobById } from './jobResults';
import { JobLine } from './JobLine';

const FIELDS = ['saeId', 'dir', 'path', 'features'];

type What = 'saelens' | 'csv' | 'neuronpedia-jsonl' | 'neuronpedia' | 'html';

/** What each export writes, as the suggested name's ending: a folder for saelens and neuronpedia. */
const SUFFIX: Record<What, string> = { saelens: '', csv: '-features.csv', 'neuronpedia-jsonl': '-features.jsonl', neuronpedia: '-neuronpedia', html: '-dashboard.html' };
const IS_FOLDER: Record<What, boolean> = { saelens: true, csv: false, 'neuronpedia-jsonl': false, neuronpedia: true, html: false };

/** sae.export (a SAELens folder) or catalog.export (the analysed features as CSV, JSON Lines, a Neuronpedia folder or an HTML dashboard). */
export function ExportForm({ saes, jobs, onOpenJobs }: { saes: SaeSummary[]; jobs: JobInfo[]; onOpenJobs: () => void }) {
  const [saeId, setSaeId] = useState<number | undefined>(saes[0]?.id);
  const [what, setWhat] = useState<What>('saelens');
  const [path, setPath] = useState('');
  const [force, setForce] = useState(false);
  const [featureList, setFeatureList] = useState('');
  // The app writes only into its workspace: suggest its exports folder.
  const workspace = useCommand('app.doctor', {}).data?.paths.workspace;
  const [done, setDone] = useState<string>();
  const [jobId, setJobId] = useState<string>();
  const action = useAction();
  const chosen = saes.find((s) => s.id === saeId) ?? saes[0];
  const suggested = workspace && chosen ? `${workspace}/exports/${chosen.name}${SUFFIX[what]}` : '';
  const target = path.trim() === '' ? suggested : path.trim();
  const submit = async () => {
    setDone(undefined);
    if (!chosen) return;
    if (what === 'saelens') {
      const r = await action.run(() => call('sae.export', { saeId: chosen.id, dir: target, force }));
      if (r) setDone(`Wrote ${r.files.join(' and ')} to ${r.dir}`);
    } else {
      // The list is sent as typed; the engine refuses a number the SAE does not have, by value.
      const features = what === 'html' ? featureList.split(/[\s,]+/).filter((t) => t !== '').map(Number) : undefined;
      const r = await action.run(() => call('catalog.export', { saeId: chosen.id, format: what, path: target, force, ...(features ? { features } : {}) }));
      if (r) setJobId(r.jobId);
    }
  };
  const pathField = what === 'saelens' ? 'dir' : 'path';
  const error = claimError(action.error, pathField);
  if (saes.length === 0) return <p className="muted">Nothing to export yet: train or import an SAE first.</p>;
  return (
    <form
      className="form-grid"
      aria-label="Export an SAE"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <Field label="SAE" field="saeId" error={error}>
        <select name="export-sae" value={chosen?.id} onChange={(e) => setSaeId(Number(e.target.value))}>
          {saes.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name} #{s.id}
            </option>
          ))}
        </select>
      </Field>
      <Field label="What" field="what" error={undefined}>
        <select name="export-what" value={what} onChange={(e) => setWhat(e.target.value as What)}>
          <option value="saelens">SAE weights (SAELens folder)</option>
          <option value="csv" disabled={!chosen?.analysis}>
            Feature table (CSV)
          </option>
          <option value="neuronpedia-jsonl" disabled={!chosen?.analysis}>
            Features, Neuronpedia-like (JSON Lines)
          </option>
          <option value="neuronpedia" disabled={!chosen?.analysis}>
            Neuronpedia import folder (.jsonl.gz)
          </option>
          <option value="html" disabled={!chosen?.analysis}>
            Feature dashboard (one HTML file, no scripts)
          </option>
        </select>
      </Field>
      {what === 'html' ? (
        <Field label="Features to show (numbers, in order)" field="features" error={error}>
          <input name="export-features" placeholder="e.g. 3, 17, 42" value={featureList} onChange={(e) => setFeatureList(e.target.value)} aria-invalid={error?.field === 'features'} />
        </Field>
      ) : null}
      <Field label={IS_FOLDER[what] ? 'Folder to create (absolute, in the workspace)' : 'File to write (absolute, in the workspace)'} field={pathField} error={error} wide>
        <input name="export-path" className="grow" placeholder={suggested || (IS_FOLDER[what] ? '/path/to/new-folder' : '/path/to/features.csv')} value={path} onChange={(e) => setPath(e.target.value)} aria-invalid={error?.field === pathField} />
      </Field>
      <label className="check">
        <input type="checkbox" name="export-force" checked={force} onChange={(e) => setForce(e.target.checked)} /> Replace existing
      </label>
      <div className="form-actions">
        <button className="btn primary" type="submit" disabled={action.busy}>
          Export
        </button>
        {done ? <span className="ok-text">{done}</span> : null}
        <JobLine job={jobById(jobs, jobId)} onOpenJobs={onOpenJobs} />
      </div>
      <FormError error={error} fields={FIELDS} />
    </form>
  );
}
