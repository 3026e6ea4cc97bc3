import { useEffect, useState } from 'react';
import { call, on } from '../api/client';
import type { FeatureKey } from './row-summary';

const keyOf = (k: FeatureKey) => `${k.saeId}:${k.idx}`;

/**
 * The label (the user's, else the automatic explanation) of each feature the log rows name, read
 * once per feature and again when labels change; a feature without an analysis has none.
 */
export function useFeatureLabels(keys: FeatureKey[]): Map<string, string> {
  const [labels, setLabels] = useState<Map<string, string>>(new Map());
  const [version, setVersion] = useState(0);
  useEffect(() => on('catalog.changed', ({ tables }) => tables.some((t) => t === 'labels' || t === 'features') && setVersion((v) => v + 1)), []);
  const wanted = [...new Set(keys.map(keyOf))].sort().join(',');
  useEffect(() => {
    let live = true;
    const missing = wanted === '' ? [] : wanted.split(',');
    void Promise.all(
      missing.map(async (k) => {
        const [saeId, idx] = k.split(':').map(Number) as [number, number];
        try {
          const page = await call('catalog.feature', { saeId, idx });
          return [k, page.label.user ?? page.label.auto] as const;
        } catch {
          return [k, ''] as const;
        }
      }),
    ).then((found) => live && setLabels(new Map(found.filter(([, l]) => l !== ''))));
    return () => {
      live = false;
    };
  }, [wanted, version]);
  return labels;
}

export function labelOf(labels: Map<string, string>, key: FeatureKey | null): string | undefined {
  return key === null ? undefined : labels.get(keyOf(key));
}
