// A feature's max activation, for steering in its units and shading a feature probe: one search
// row, not the whole feature page (examples, histogram, logit effects) that catalog.feature reads.
import type { CommandInput, CommandOutput } from '@shared/contract';

export type SearchFeatures = (query: CommandInput<'catalog.search'>) => Promise<CommandOutput<'catalog.search'>>;
export type ReadFeatureMax = (saeId: number, idx: number) => Promise<number>;

/**
 * An analysis of every feature has a row for each idx 0..d_sae−1, so row `idx` of the unfiltered
 * idx-ordered browse is feature `idx`: the catalog seeks straight to it (catalog/search.ts). An
 * analysis with gaps (rows only for some features) puts another feature there; then the feature's
 * own page says, and its error (no such feature) is the one the user sees.
 */
export async function featureMaxAct(search: SearchFeatures, readFeature: ReadFeatureMax, saeId: number, idx: number): Promise<number> {
  const { rows } = await search({ saeId, sort: 'idx', order: 'asc', offset: idx, limit: 1 });
  const row = rows[0];
  if (row !== undefined && row.idx === idx) return row.maxAct;
  return readFeature(saeId, idx);
}
