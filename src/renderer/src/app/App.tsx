import { useCallback, useEffect, useRef, useState } from 'react';
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
import { NavigateContext, requestFor, type NavRequest, type NavTarget } from './navigation';
import { StatusBar } from './StatusBar';

// Alt+digit in sidebar order: the browsing views first, the methods next, System last.
const VIEWS = [
  { id: 'home', label: 'Home', key: '1' },
  { id: 'jobs', label: 'Jobs', key: '2' },
  { id: 'features', label: 'Features', key: '3' },
  { id: 'playground', label: 'Playground', key: '4' },
  { id: 'experiments', label: 'Experiment log', key: '5' },
  { id: 'attribution', label: 'Attribution', key: '6' },
  { id: 'audit', label: 'Probes & audit', key: '7' },
  { id: 'watchlists', label: 'Watchlists', key: '8' },
  { id: 'system', label: 'System', key: '9' },
] as const;
type ViewId = (typeof VIEWS)[number]['id'];

const VIEW_OF: Record<NavTarget['to'], ViewId> = { feature: 'features', experiment: 'experiments', playground: 'playground' };

export function App() {
  const jobs = useJobs();
  const [view, setView] = useState<ViewId>('home');
  const [request, setRequest] = useState<NavRequest>();
  const serial = useRef(0);
  // Picking a view by hand drops a pending cross-view request, so it is not applied again on return.
  const show = useCallback((id: ViewId) => {
    setRequest(undefined);
    setView(id);
  }, []);
  const navigate = useCallback((target: NavTarget) => {
    setRequest({ ...target, serial: ++serial.current });
    setView(VIEW_OF[target.to]);
  }, []);

  useEffect(() => {
    // Alt+digit switches views, like a tab strip.
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey) return;
      const v = VIEWS.find((x) => x.key === e.key);
      if (v) {
        e.preventDefault();
        show(v.id);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [show]);

  return (
    <NavigateContext.Provider value={navigate}>
      <div className="app">
        <nav className="sidebar" aria-label="Views">
          <div className="brand">Featurescope</div>
          {VIEWS.map((v) => (
            <button key={v.id} className={`nav-item ${view === v.id ? 'active' : ''}`} onClick={() => show(v.id)} aria-current={view === v.id ? 'page' : undefined}>
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
          {view === 'experiments' ? <ExperimentLogView focus={requestFor(request, 'experiment')} /> : null}
          {/* Kept mounted: the prompt, the interventions and the last result survive a look at the log. */}
          <PlaygroundView active={view === 'playground'} request={requestFor(request, 'playground')} />
          <AttributionView active={view === 'attribution'} />
          <ProbesAuditView active={view === 'audit'} jobs={jobs} onOpenJobs={() => setView('jobs')} />
          {view === 'watchlists' ? <WatchlistsView jobs={jobs} onOpenJobs={() => setView('jobs')} /> : null}
          {view === 'jobs' ? <JobsView jobs={jobs} /> : view === 'system' ? <SystemView jobs={jobs} onOpenJobs={() => setView('jobs')} /> : null}
          {/* Kept mounted so the search, filters and scroll position survive a trip to another view. */}
          <div className="view-features" hidden={view !== 'features'}>
            <FeaturesView active={view === 'features'} request={requestFor(request, 'feature')} />
          </div>
        </main>
        <StatusBar jobs={jobs} />
      </div>
    </NavigateContext.Provider>
  );
}
