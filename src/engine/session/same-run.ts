// One run is logged once: the playground re-runs on a slider's release, and pressing Run after it
// sent the very same input again, which logged the same experiment twice. A run is its inputs
// (seeded, deterministic: what Replay relies on), so an experiment.run whose kind, SAE and inputs
// equal the newest logged experiment's is that experiment, not a new one.
import { listExperiments, type Catalog } from '../../catalog';

export function sameAsLatest(catalog: Catalog, kind: string, saeId: number | null, inputs: unknown): { id: number; citeId: string } | undefined {
  const [latest] = listExperiments(catalog, { limit: 1 });
  if (!latest || latest.kind !== kind || latest.saeId !== saeId) return undefined;
  return JSON.stringify(latest.inputs) === JSON.stringify(inputs) ? { id: latest.id, citeId: latest.citeId } : undefined;
}
