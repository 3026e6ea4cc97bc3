import { Fragment, useState } from 'react';
import type { JobInfo, ModelInfo, SaeSummary } from '@shared/contract';
import { formatNumber, formatTime } from '../ui/format';
import { AnalyzeForm } from './AnalyzeForm';
import { ExportForm } from './ExportForm';
import { ImportForm } from './ImportForm';
import { jobById } from './jobResults';
import { JobLine } from './JobLine';
import { TrainForm } from './TrainForm';
import { Tabs, type Tab } from '../ui/Tabs';
import { runningWriterOf } from '../jobs/useJobStart';
import { useSessionState } from './useSessionState';
import { catalogFigureGroups } from '../ui/sae-figures';
import { SaeFigures } from '../ui/SaeFigures';


type FormTab = 'train' | 'import' | 'export';
const SAE_TABS: ReadonlyArray<Tab<FormTab>> = [
  { id: 'train', label: 'Train' },
  { id: 'import', label: 'Import' },
  { id: 'export', label: 'Export' },
];

export function SaesPanel({ saes, models, jobs, onOpenJobs }: { saes: SaeSummary[] | undefined; models: ModelInfo[]; jobs: JobInfo[]; onOpenJobs: () => void }) {
  const [tab, setTab] = useState<FormTab>('train');
  const [analysing, setAnalysing] = useState<number | null>(null);
  // Kept over a reload, and a running analysis of a row is shown even when another tab started it.
  const [analyzeJobs, setAnalyzeJobs] = useSessionState<Record<number, string>>('featurescope.home.analyzeJobs', {});

  return (
    <section className="panel" aria-label="SAEs">
      <header className="panel-head">
        <h3>Sparse autoencoders</h3>
        <span className="muted">{saes ? `${saes.length} in this workspace` : ''}</span>
      </header>
      {saes === undefined ? <p className="muted">Reading the catalog…</p> : null}
      {saes?.length === 0 ? <p className="muted">No SAE yet. Capture activations, then train one below — or import a SAELens folder.</p> : null}
      {saes && saes.length > 0 ? (
        <div className="table-scroll">
          <table className="table compact" aria-label="SAE list">
            <thead>
              <tr>
                <th>Name · architecture · hook</th>
                <th className="num">d_sae</th>
                <th>Figures, by where they come from</th>
                <th>Analysis</th>
              </tr>
            </thead>
            <tbody>
              {saes.map((s) => (
                <Fragment key={s.id}>
                  <tr data-sae-name={s.name} className="static">
                    <td>
                      <span className="strong">{s.name}</span> <span className="muted mono">#{s.id}</span>
                      <div className="muted sae-where">
                        {s.architecture} · <span className="mono">{s.hookName}</span>
                      </div>
                    </td>
                    <td className="num">{formatNumber(s.dSae)}</td>
                    <td className="sae-figures-cell">
                      <SaeFigures groups={catalogFigureGroups(s.metrics, s.dSae, { training: true })} empty="no figures yet: evaluate or analyse it" />
                    </td>
                    <td data-testid="analysis-state">
                      {s.analysis ? (
                        <span title={`analysis #${s.analysis.id}, finished ${formatTime(s.analysis.endedAt ?? s.analysis.startedAt)}`}>{s.analysis.featureCount.toLocaleString()} features</span>
                      ) : (
                        <span className="muted">not analysed</span>
                      )}
                      <div>
                        <button className="link" type="button" aria-expanded={analysing === s.id} onClick={() => setAnalysing(analysing === s.id ? null : s.id)}>
                          {s.analysis ? 'Re-analyse…' : 'Analyse…'}
                        </button>
                      </div>
                      <JobLine job={runningWriterOf(jobs, 'sae.analyze', { saeId: s.id }) ?? jobById(jobs, analyzeJobs[s.id])} onOpenJobs={onOpenJobs} />
                    </td>
                  </tr>
                  {analysing === s.id ? (
                    <tr className="static">
                      <td colSpan={4}>
                        <AnalyzeForm
                          sae={s}
                          models={models}
                          jobs={jobs}
                          onStarted={(jobId) => {
                            setAnalyzeJobs((m) => ({ ...m, [s.id]: jobId }));
                            setAnalysing(null);
                          }}
                        />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Tabs tabs={SAE_TABS} value={tab} onChange={setTab} label="Add or export an SAE" className="tabs-spaced" />
      {/* Both stay mounted so a running job's line survives a look at the other tab. */}
      <div hidden={tab !== 'train'}>
        <TrainForm jobs={jobs} onOpenJobs={onOpenJobs} />
      </div>
      <div hidden={tab !== 'import'}>
        <ImportForm />
      </div>
      <div hidden={tab !== 'export'}>
        <ExportForm saes={saes ?? []} jobs={jobs} onOpenJobs={onOpenJobs} />
      </div>
    </section>
  );
}
