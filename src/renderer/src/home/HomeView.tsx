import type { JobInfo } from '@shared/contract';
import { useCommand } from '../api/hooks';
import { CaptureForm } from './CaptureForm';
import { GetStarted, gettingStartedVisible, useGetStartedFlow } from './GetStarted';
import { ModelsPanel } from './ModelsPanel';
import { RecentJobs } from './RecentJobs';
import { SaesPanel } from './SaesPanel';
import { SparseTrainForm } from './SparseTrainForm';
import './home.css';

/** Where work starts: models, captures, SAEs and the jobs that make them; a guided path on first run. */
export function HomeView({ jobs, onOpenJobs, onOpenFeatures }: { jobs: JobInfo[]; onOpenJobs: () => void; onOpenFeatures: () => void }) {
  const models = useCommand('model.list', {}, ['catalog.changed']);
  const saes = useCommand('catalog.saes', {}, ['catalog.changed']);
  const [flow, setFlow] = useGetStartedFlow();
  const bundled = models.data?.filter((m) => m.bundled) ?? [];
  const starter = bundled[0] ?? models.data?.[0];
  const showStart = saes.data !== undefined && starter !== undefined && gettingStartedVisible(flow, saes.data.length);

  return (
    <div className="home">
      {showStart ? <GetStarted choices={bundled.length > 0 ? bundled : [starter]} jobs={jobs} flow={flow} setFlow={setFlow} onOpenJobs={onOpenJobs} onOpenFeatures={onOpenFeatures} /> : null}
      <div className="home-grid">
        <div className="home-col">
          <ModelsPanel models={models.data} loadError={models.error?.message} onOpened={models.reload} />
          <section className="panel" aria-label="Captures">
            <header className="panel-head">
              <h3>Capture activations</h3>
              <span className="muted">model × corpus × hook → activation store</span>
            </header>
            {models.data && models.data.length > 0 ? (
              <CaptureForm models={models.data} jobs={jobs} onOpenJobs={onOpenJobs} />
            ) : (
              <p className="muted">Open a model first; its hook points are offered here.</p>
            )}
          </section>
          {models.data && models.data.length > 0 ? (
            <section className="panel" aria-label="Weight-sparse models">
              <header className="panel-head">
                <h3>Train a weight-sparse model</h3>
                <span className="muted">corpus → GPT-2 with sparse weights, in models/</span>
              </header>
              <SparseTrainForm models={models.data} jobs={jobs} onOpenJobs={onOpenJobs} />
            </section>
          ) : null}
          <RecentJobs jobs={jobs} onOpenJobs={onOpenJobs} />
        </div>
        <div className="home-col">
          <SaesPanel saes={saes.data} models={models.data ?? []} jobs={jobs} onOpenJobs={onOpenJobs} />
          {saes.error ? <p className="error-text">Cannot read the catalog: {saes.error.message}</p> : null}
        </div>
      </div>
    </div>
  );
}
