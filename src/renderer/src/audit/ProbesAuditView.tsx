import { useState } from 'react';
import type { JobInfo } from '@shared/contract';
import { modelListGate, useModelChoice } from '../ui/modelChoice';
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
  const { models, saes, model, setModelPath } = useModelChoice();
  const [tab, setTab] = useState<Tab>('probe');

  // Mounted while hidden (to keep its state): the empty and error states show only when active.
  const gate = modelListGate(models, active, 'No model to probe or audit');
  if (gate !== undefined || !models.data) return gate;

  const panelProps = { models: models.data, saes: saes.data ?? [], model, onModel: setModelPath };

  return (
    <div className="probes-audit" hidden={!active}>
      <Tabs tabs={TABS} value={tab} onChange={setTab} label="Probes and audit" />
      <ProbePanel {...panelProps} hidden={tab !== 'probe'} />
      <AuditPanel {...panelProps} jobs={jobs} onOpenJobs={onOpenJobs} hidden={tab !== 'audit'} />
    </div>
  );
}
