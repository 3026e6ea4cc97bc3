// The model (and SAE) lists that the method views pick from, and what such a view shows until
// there is a model to pick.
import { useState, type ReactNode } from 'react';
import type { ModelInfo } from '@shared/contract';
import { useCommand, type Query } from '../api/hooks';

/** The listed models and SAEs, and the picked model (the first until one is picked). */
export function useModelChoice() {
  const models = useCommand('model.list', {}, ['catalog.changed']);
  const saes = useCommand('catalog.saes', {}, ['catalog.changed']);
  const [modelPath, setModelPath] = useState('');
  const model: ModelInfo | undefined = models.data?.find((m) => m.path === modelPath) ?? models.data?.[0];
  return { models, saes, model, setModelPath };
}

/**
 * What a view kept mounted while hidden shows instead of itself: nothing while hidden without
 * models, the list's error, a loading line, or what to do when no model is open. Undefined once
 * there are models to pick from.
 */
export function modelListGate(models: Query<ModelInfo[]>, active: boolean, emptyTitle: string): ReactNode | undefined {
  if (!active && (models.data?.length ?? 0) === 0) return null;
  if (models.error && !models.data) return <p className="error-text">Cannot list models: {models.error.message}</p>;
  if (!models.data) return <p className="muted">Listing models…</p>;
  if (models.data.length === 0) {
    return (
      <div className="empty">
        <h2>{emptyTitle}</h2>
        <p>Open a model folder on the Home view (Alt+1); it will be offered here.</p>
      </div>
    );
  }
  return undefined;
}
