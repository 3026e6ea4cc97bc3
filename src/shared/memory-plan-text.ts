// A memory plan (contract/model.ts MemoryPlan) in words, the same in the refusal, `doctor --model`,
// the CLI's stderr and the app's model panel.

import type { MemoryPlan } from './contract';

/** Bytes as a person reads them: 5.2 GB, 311 MB, 9 kB. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${Math.round(bytes / 1e6)} MB`;
  return `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}
const gb = formatBytes;

/** The plan in a few lines, for doctor, the CLI's stderr and the refusal. */
export function describePlan(p: MemoryPlan): string[] {
  const params = p.parameters >= 1e9 ? `${(p.parameters / 1e9).toFixed(2)} B` : `${(p.parameters / 1e6).toFixed(1)} M`;
  const how =
    p.mode === 'resident'
      ? `all weights resident in the backend (${gb(p.residentBytes)} as f32)`
      : `weights stream in per layer (largest layer ${gb(p.largestLayerBytes)} as f32; ${gb(p.residentBytes)} resident)`;
  return [
    `parameters ${params}, stored ${gb(p.storedBytes)} (${p.storedDtypes.join(', ')}), ${gb(p.f32Bytes)} as f32`,
    `plan: ${how}; embedding rows read from the file, unembedding in chunks of ${p.vocabChunkRows} tokens`,
    `expected peak: ${gb(p.peakBackendBytes)} in the ${p.backend} backend (limit ${gb(p.backendLimitBytes)}), ${gb(p.peakProcessBytes)} for the process (free memory ${gb(p.freeBytes)}), for a ${p.referenceTokens}-token run`,
  ];
}

