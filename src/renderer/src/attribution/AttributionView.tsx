import { useState } from 'react';
import { modelListGate, useModelChoice } from '../ui/modelChoice';
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
  const { models, saes, model, setModelPath } = useModelChoice();
  const [tab, setTab] = useState<Tab>('rank');

  // Mounted while hidden (to keep its state): the empty and error states show only when active.
  const gate = modelListGate(models, active, 'No model to attribute');
  if (gate !== undefined || !models.data) return gate;

  const panelProps = { models: models.data, saes: saes.data ?? [], model, onModel: setModelPath };

  return (
    <div className="attribution" hidden={!active}>
      <Tabs tabs={TABS} value={tab} onChange={setTab} label="Attribution tools" />
      <RankPanel {...panelProps} hidden={tab !== 'rank'} />
      <PatchPanel {...panelProps} hidden={tab !== 'patch'} />
    </div>
  );
}
