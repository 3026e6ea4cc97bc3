// Cleaning up after analyses that did not finish or were replaced.
// Their rows were never visible to readers (see migrations/0001_core.ts); this only frees space.
import type { Catalog } from './open';

const PURGE_BATCH = 2000;

/**
 * Mark analyses left 'running' by a writer that died as failed, then purge the rows of every
 * failed or superseded analysis. Call only from the single writer, before it starts new work.
 * Returns how many analyses were marked failed.
 */
export function recoverInterruptedAnalyses(catalog: Catalog): number {
  const marked = catalog
    .statement(
      `UPDATE analyses SET state = 'failed', ended_at = ?, message = 'interrupted: the writer stopped before the analysis completed'
       WHERE state = 'running'`,
    )
    .run(Date.now()).changes;
  purgeDeadAnalyses(catalog);
  return marked;
}

/** Delete, in small transactions, the feature rows of failed and superseded analyses. Returns rows deleted. */
export function purgeDeadAnalyses(catalog: Catalog): number {
  const dead = catalog
    .statement(`SELECT id FROM analyses WHERE state IN ('failed', 'superseded')`)
    .pluck()
    .all() as number[];
  let deleted = 0;
  for (const analysisId of dead) deleted += purgeAnalysisRows(catalog, analysisId);
  return deleted;
}

/** Small batches keep each write transaction short, so readers' WAL snapshots stay cheap. */
export function purgeAnalysisRows(catalog: Catalog, analysisId: number): number {
  const del = catalog.statement(
    `DELETE FROM features WHERE id IN (SELECT id FROM features WHERE analysis_id = ? LIMIT ${PURGE_BATCH})`,
  );
  let total = 0;
  for (;;) {
    const n = catalog.db.transaction(() => del.run(analysisId).changes).immediate();
    total += n;
    if (n < PURGE_BATCH) return total;
  }
}
