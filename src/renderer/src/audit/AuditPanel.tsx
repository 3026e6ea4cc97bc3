import { useEffect, useState } from 'react';
import type { AuditRunResult, CommandInput, JobInfo, ModelInfo, SaeSummary } from '@shared/contract';
import { call, CommandFailed } from '../api/client';
import { useCommand } from '../api/hooks';
import { ModelField, SiteFields } from '../attribution/fields';
import { siteInput, type SiteDraft } from '../attribution/inputs';
import { finishedResult, jobById } from '../home/jobResults';
import { JobLine } from '../home/JobLine';
import { Field, FormError, numberOrUndefined, useAction } from '../ui/forms';
import { AuditResultView } from './AuditResult';

type Pooling = CommandInput<'audit.run'>['pooling'];
type Positions = NonNullable<CommandInput<'audit.run'>['positions']>;
const FILE = '__file__';
const FIELDS = ['model', 'sae', 'layers', 'site', 'contrastSet', 'positions', 'pooling', 'minEffect', 'topN', 'alpha', 'outPath'];

/** What the result needs besides the job's own result: the input and the SAE audited. */
export interface StartedAudit {
  jobId: string;
  input: CommandInput<'audit.run'>;
  sae: SaeSummary | null;
}

function renamed(error: CommandFailed, field: string): CommandFailed {
  return new CommandFailed({ code: error.code, message: error.message, field });
}

/** audit.run as a job: which units respond to side A vs side B of a contrast set, and how surely. */
export function AuditPanel({ models, saes, model, onModel, jobs, onOpenJobs, hidden }: { models: ModelInfo[]; saes: SaeSummary[]; model: ModelInfo | undefined; onModel: (path: string) => void; jobs: JobInfo[]; onOpenJobs: () => void; hidden: boolean }) {
  const sets = useCommand('audit.contrastSets', {});
  const [site, setSite] = useState<SiteDraft>({ kind: 'neurons', layers: '' });
  const [setChoice, setSetChoice] = useState('');
  const [setPath, setSetPath] = useState('');
  const [pooling, setPooling] = useState<Pooling>('mean');
  const [positions, setPositions] = useState<Positions>('context');
  const [minEffect, setMinEffect] = useState('0.5');
  const [topN, setTopN] = useState('20');
  const [alpha, setAlpha] = useState('0.05');
  const [outPath, setOutPath] = useState('');
  const [started, setStarted] = useState<StartedAudit>();
  const action = useAction();

  // The first built-in set until the user picks; a file path when none is installed.
  useEffect(() => {
    if (setChoice === '' && sets.data) setSetChoice(sets.data[0]?.id ?? FILE);
  }, [sets.data, setChoice]);
  const chosenSet = sets.data?.find((s) => s.id === setChoice) ?? null;
  const job = jobById(jobs, started?.jobId);
  const running = job?.state === 'running';

  const submit = async () => {
    if (!model || running) return;
    const ref = await action.run(async () => {
      const where = siteInput(site);
      const input: CommandInput<'audit.run'> = {
        model: model.path,
        ...(where.kind === 'sae' ? { sae: where.saeId } : where.layers ? { layers: where.layers } : {}),
        contrastSet: setChoice === FILE ? setPath.trim() : setChoice,
        pooling,
        positions,
        minEffect: numberOrUndefined(minEffect),
        topN: numberOrUndefined(topN),
        alpha: numberOrUndefined(alpha),
        ...(outPath.trim() !== '' ? { outPath: outPath.trim() } : {}),
      };
      const { jobId } = await call('audit.run', input);
      return { jobId, input, sae: where.kind === 'sae' ? (saes.find((s) => s.id === where.saeId) ?? null) : null };
    });
    if (ref) setStarted(ref);
  };

  const error = action.error;
  // The site fields answer to site / site.layers (attribution.run's names); audit.run says sae / layers.
  const siteError = error?.field === 'sae' ? renamed(error, 'site') : error?.field?.startsWith('layers') ? renamed(error, 'site.layers') : error;
  const result = finishedResult<AuditRunResult>(job);
  return (
    <div className="at-panel" hidden={hidden}>
      <form
        className="panel at-form"
        aria-label="Run an audit"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div className="at-row">
          <ModelField name="pa-audit-model" models={models} value={model?.path ?? ''} onChange={onModel} error={error} />
          <SiteFields name="pa-audit" site={site} onChange={setSite} model={model} saes={saes} error={siteError} />
          <Field label="Contrast set" field="contrastSet" error={setChoice === FILE ? undefined : error}>
            <select name="pa-audit-set" value={setChoice} onChange={(e) => setSetChoice(e.target.value)}>
              {(sets.data ?? []).map((s) => (
                <option key={s.id} value={s.id}>
                  {s.id} · {s.sideA} vs {s.sideB} · {s.pairs} pairs
                </option>
              ))}
              <option value={FILE}>a JSON file…</option>
            </select>
          </Field>
          {setChoice === FILE ? (
            <Field label="Contrast set file" field="contrastSet" error={error} wide>
              <input name="pa-audit-set-path" className="grow" value={setPath} placeholder="/path/to/set.json" onChange={(e) => setSetPath(e.target.value)} aria-invalid={error?.field === 'contrastSet'} />
            </Field>
          ) : null}
        </div>
        <div className="at-row">
          <Field label="Compare at" field="positions" error={error}>
            <select name="pa-audit-positions" value={positions} onChange={(e) => setPositions(e.target.value as Positions)} title="Where the two sides of a pair are compared. Every token includes the swapped words, so units that only read those tokens differ too.">
              <option value="context">shared context after the swapped words</option>
              <option value="all">every token (old method: token identity too)</option>
            </select>
          </Field>
          <Field label="Pooling" field="pooling" error={error}>
            <select name="pa-audit-pooling" value={pooling} onChange={(e) => setPooling(e.target.value as Pooling)}>
              <option value="mean">mean over those tokens</option>
              <option value="last">last token</option>
            </select>
          </Field>
          <Field label="Min |d|" field="minEffect" error={error}>
            <input name="pa-audit-min-effect" className="at-num" inputMode="decimal" value={minEffect} onChange={(e) => setMinEffect(e.target.value)} aria-invalid={error?.field === 'minEffect'} title="Effect-size floor: the smallest |Cohen's d| a finding may have" />
          </Field>
          <Field label="Top N" field="topN" error={error}>
            <input name="pa-audit-top-n" className="at-num" inputMode="numeric" value={topN} onChange={(e) => setTopN(e.target.value)} aria-invalid={error?.field === 'topN'} />
          </Field>
          <Field label="α (FDR)" field="alpha" error={error}>
            <input name="pa-audit-alpha" className="at-num" inputMode="decimal" value={alpha} onChange={(e) => setAlpha(e.target.value)} aria-invalid={error?.field === 'alpha'} />
          </Field>
          <Field label="Also write the report to (optional; a new file in the workspace)" field="outPath" error={error} wide>
            <input name="pa-audit-out" className="grow" value={outPath} placeholder="<workspace>/exports/report.html" onChange={(e) => setOutPath(e.target.value)} aria-invalid={error?.field === 'outPath'} />
          </Field>
          <button className="btn primary" type="submit" disabled={!model || running || action.busy}>
            {running ? 'Auditing…' : 'Run audit'}
          </button>
        </div>
        {chosenSet?.title ? (
          <p className="muted at-hint">
            {chosenSet.title}
            {chosenSet.hasMetric ? '' : ' · no metric tokens: attribution is skipped'}
          </p>
        ) : null}
        <JobLine job={job} onOpenJobs={onOpenJobs} />
        {job?.state === 'running' && job.progress?.message ? <p className="muted at-note" data-testid="audit-stage">{job.progress.message}</p> : null}
        <FormError error={error} fields={FIELDS} />
        {sets.error ? <p className="error-text">Cannot list the built-in contrast sets: {sets.error.message}</p> : null}
      </form>
      {started && result ? (
        <section className="panel" aria-label="Audit result">
          <AuditResultView started={started} result={result} />
        </section>
      ) : started ? null : (
        <div className="empty at-empty">
          <h2>Which units treat the two sides of a contrast set differently?</h2>
          <p>Each pair of prompts differs only in a protected attribute. Every MLP neuron (or SAE feature) is tested pair by pair (paired t-test, Benjamini–Hochberg q), scored by attribution patching and weighed by a sparse probe. Findings are logged one experiment each, SAE features tagged bias, and a self-contained HTML report is written.</p>
        </div>
      )}
    </div>
  );
}
