import { useEffect, useState } from 'react';
import { FeaturesView } from '../features/FeaturesView';
import { JobsView } from '../jobs/JobsView';
import { useJobs } from '../jobs/useJobs';
import { SystemView } from '../system/SystemView';
import { StatusBar } from './StatusBar';

const VIEWS = [
  { id: 'jobs', label: 'Jobs', key: '1' },
  { id: 'system', label: 'System', key: '2' },
  { id: 'features', label: 'Features', key: '3' },
] as const;
type ViewId = (typeof VIEWS)[number]['id'];

export function App() {
  const jobs = useJobs();
  const [view, setView] = useState<ViewId>('system');

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
