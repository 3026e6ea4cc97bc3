import { useEffect, useState } from 'react';
import { AttributionView } from '../attribution/AttributionView';
import { ProbesAuditView } from '../audit/ProbesAuditView';
import { FeaturesView } from '../features/FeaturesView';
import { ExperimentLogView } from '../experiments/ExperimentLogView';
import { HomeView } from '../home/HomeView';
import { JobsView } from '../jobs/JobsView';
import { useJobs } from '../jobs/useJobs';
import { PlaygroundView } from '../playground/PlaygroundView';
import { SystemView } from '../system/SystemView';
import { WatchlistsView } from '../watch/WatchlistsView';
import { StatusBar } from './StatusBar';

// Features keeps Alt+3 (its specs and users' hands know it); Home comes first, System last.
const VIEWS = [
  { id: 'home', label: 'Home', key: '1' },
  { id: 'jobs', label: 'Jobs', key: '2' },
  { id: 'features', label: 'Features', key: '3' },
  { id: 'playground', label: 'Playground', key: '4' },
  { id: 'experiments', label: 'Experiment log', key: '5' },
  { id: 'system', label: 'System', key: '6' },
  { id: 'attribution', label: 'Attribution', key: '7' },
  { id: 'audit', label: 'Probes & audit', key: '8' },
  { id: 'watchlists', label: 'Watchlists', key: '9' },
] as const;
type ViewId = (typeof VIEWS)[number]['id'];

export function App() {
  const jobs = useJobs();
  const [view, setView] = useState<ViewId>('home');

  useEffect(() => {
    // Alt+digit switches views, like a tab strip.
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey) return;
      const v = VIEWS.find((x) => x.key === e.key);
      if (v) {
        e.preventDefault();
        setView(v.id);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="app">
      <nav className="sidebar" aria-label="Views">
        <div className="brand">Featurescope</div>
        {VIEWS.map((v) => (
          <button key={v.id} className={`nav-item ${view === v.id ? 'active' : ''}`} onClick={() => setView(v.id)} aria-current={view === v.id ? 'page' : undefined}>
            <span>{v.label}</span>
            <kbd>Alt+{v.key}</kbd>
          </button>
        ))}
      </nav>
      <main className={`content ${view === 'features' ? 'fill' : ''}`}>
        <header className="content-head">
          <h1>{VIEWS.find((v) => v.id === view)!.label}</h1>
        </header>
        {view === 'home' ? <HomeView jobs={jobs} onOpenJobs={() => setView('jobs')} onOpenFeatures={() => setView('features')} /> : null}
        {view === 'experiments' ? <ExperimentLogView /> : null}
        {/* Kept mounted: the prompt, the interventions and the last result survive a look at the log. */}
        <PlaygroundView active={view === 'playground'} />
        <AttributionView active={view === 'attribution'} />
        <ProbesAuditView active={view === 'audit'} jobs={jobs} onOpenJobs={() => setView('jobs')} />
        {view === 'watchlists' ? <WatchlistsView jobs={jobs} onOpenJobs={() => setView('jobs')} /> : null}
        {view === 'jobs' ? <JobsView jobs={jobs} /> : view === 'system' ? <SystemView onJobStarted={() => setView('jobs')} /> : null}
        {/* Kept mounted so the search, filters and scroll position survive a trip to another view. */}
        <div className="view-features" hidden={view !== 'features'}>
          <FeaturesView active={view === 'features'} />
        </div>
      </main>
      <StatusBar jobs={jobs} />
    </div>
  );
}
