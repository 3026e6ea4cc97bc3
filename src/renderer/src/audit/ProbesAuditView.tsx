import { useState } from 'react';
import type { JobInfo, ModelInfo } from '@shared/contract';
import { useCommand } from '../api/hooks';
import { Tabs } from '../ui/Tabs';
import { AuditPanel } from './AuditPanel';
import { ProbePanel } from './ProbePanel';
import '../home/home.css';
import '../playground/playground.css';
import '../attribution/attribution.css';
import './audit.css';

type Tab = 'probe' | 'audit';
const TABS: Array<{ id: Tab; label: string }> = [
  { id: 'probe', label: 'Sparse probe' },
  { id: 'audit', label: 'Bias audit' },
];

/**
 * Sparse probes (which few units separate two labelled prompt sets) and the bias audit over a
 * contrast set. Both panels stay mounted, so a result (and a running audit) survives switching
 * tabs and views.
 */
export function ProbesAuditView({ active, jobs, onOpenJobs }: { active: boolean; jobs: JobInfo[]; onOpenJobs: () => void }) {
  const models = useCommand('model.list', {}, ['catalog.changed']);
  const saes = useCommand('catalog.saes', {}, ['catalog.changed']);
  const [tab, setTab] = useState<Tab>('probe');
  const [modelPath, setModelPath] = useState('');
  const model: ModelInfo | undefined = models.data?.find((m) => m.path === modelPath) ?? models.data?.[0];

  // Mounted while hidden (to keep its state): the empty and error states show only when active.
  if (!active && (models.data?.length ?? 0) === 0) return null;
  if (models.error && !models.data) return <p className="error-text">Cannot list models: {models.error.message}</p>;
  if (!models.data) return <p className="muted">Listing models…</p>;
  if (models.data.length === 0) {
    return (
      <div className="empty">
        <h2>No model to probe or audit</h2>
        <p>Open a model folder on the Home view (Alt+1); it will be offered here.</p>
      </div>
    );
  }

  const panelProps = { models: models.data, saes: saes.data ?? [], model, onModel: setModelPath };

  return (
    <div className="probes-audit" hidden={!active}>
      <Tabs tabs={TABS} value={tab} onChange={setTab} label="Probes and audit" />
      <ProbePanel {...panelProps} hidden={tab !== 'probe'} />
      <AuditPanel {...panelProps} jobs={jobs} onOpenJobs={onOpenJobs} hidden={tab !== 'audit'} />
    </div>
  );
}
