// A feature's max activation, for steering in its units and shading a feature probe: one search
// row, not the whole feature page (examples, histogram, logit effects) that catalog.feature reads.
import type { CommandInput, CommandOutput } from '@shared/contract';

export type SearchFeatures = (query: CommandInput<'catalog.search'>) => Promise<CommandOutput<'catalog.search'>>;

/**
 * An analysis has a row for every feature (idx 0..d_sae−1), so row `idx` of the unfiltered
 * idx-ordered browse is feature `idx`: the catalog seeks straight to it (catalog/search.ts).
 */
export async function featureMaxAct(search: SearchFeatures, saeId: number, idx: number): Promise<number> {
  const { rows } = await search({ saeId, sort: 'idx', order: 'asc', offset: idx, limit: 1 });
  const row = rows[0];
  if (row === undefined || row.idx !== idx) throw new Error(`feature ${idx} is not in this SAE's analysis`);
  return row.maxAct;
}
