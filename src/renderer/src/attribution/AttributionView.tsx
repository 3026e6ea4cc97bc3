import { useState } from 'react';
import type { ModelInfo } from '@shared/contract';
import { useCommand } from '../api/hooks';
import { Tabs } from '../ui/Tabs';
import { PatchPanel } from './PatchPanel';
import { RankPanel } from './RankPanel';
import '../playground/playground.css';
import './attribution.css';

type Tab = 'rank' | 'patch';
const TABS: Array<{ id: Tab; label: string }> = [
  { id: 'rank', label: 'Rank units' },
  { id: 'patch', label: 'Patch between prompts' },
];

/**
 * Causal attribution: rank units by attribution patching (and check the ranking by real patches),
 * or patch one prompt's unit deltas into another. Both forms stay mounted, so a result survives
 * switching tabs and views.
 */
export function AttributionView({ active }: { active: boolean }) {
  const models = useCommand('model.list', {}, ['catalog.changed']);
  const saes = useCommand('catalog.saes', {}, ['catalog.changed']);
  const [tab, setTab] = useState<Tab>('rank');
  const [modelPath, setModelPath] = useState('');
  const model: ModelInfo | undefined = models.data?.find((m) => m.path === modelPath) ?? models.data?.[0];

  // Mounted while hidden (to keep its state): the empty and error states show only when active.
  if (!active && (models.data?.length ?? 0) === 0) return null;
  if (models.error && !models.data) return <p className="error-text">Cannot list models: {models.error.message}</p>;
  if (!models.data) return <p className="muted">Listing models…</p>;
  if (models.data.length === 0) {
    return (
      <div className="empty">
        <h2>No model to attribute</h2>
        <p>Open a model folder on the Home view (Alt+1); it will be offered here.</p>
      </div>
    );
  }

  const panelProps = { models: models.data, saes: saes.data ?? [], model, onModel: setModelPath };

  return (
    <div className="attribution" hidden={!active}>
      <Tabs tabs={TABS} value={tab} onChange={setTab} label="Attribution tools" />
      <RankPanel {...panelProps} hidden={tab !== 'rank'} />
      <PatchPanel {...panelProps} hidden={tab !== 'patch'} />
    </div>
  );
}
