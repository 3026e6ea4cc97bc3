// Cleaning up after analyses that did not finish or were replaced.
// Their rows were never visible to readers (see migrations/0001_core.ts); this only frees space.
//
// Many processes open one workspace (the app, `serve`, CLI jobs, `doctor`), and every engine runs
// this at its start. A 'running' analysis is only ours to fail when its writer is gone: the
// analysis lease of its SAE (leases.ts) is missing or held by a dead process. A live writer's
// analysis is left alone.
import { leaseOutputs, liveLease, takeLease, type WriterIdentity, type WriterLease } from './leases';
import type { Catalog } from './open';

const PURGE_BATCH = 2000;
const INTERRUPTED = 'interrupted: the writer stopped before the analysis completed';

/**
 * Mark analyses left 'running' by a writer that is gone as failed, then purge the rows of every
 * failed or superseded analysis. Returns how many analyses were marked failed.
 */
export function recoverInterruptedAnalyses(catalog: Catalog): number {
  const markFailed = catalog.statement(`UPDATE analyses SET state = 'failed', ended_at = ?, message = ? WHERE id = ? AND state = 'running'`);
  const marked = catalog.db
    .transaction(() => {
      const running = catalog.statement(`SELECT id, sae_id AS saeId FROM analyses WHERE state = 'running'`).all() as Array<{ id: number; saeId: number }>;
      let n = 0;
      for (const a of running) {
        if (liveLease(catalog, leaseOutputs.analysis(a.saeId)) !== undefined) continue; // its writer is at work
        n += markFailed.run(Date.now(), INTERRUPTED, a.id).changes;
      }
      return n;
    })
    .immediate();
  purgeDeadAnalyses(catalog);
  return marked;
}

/**
 * Take the analysis lease of an SAE (refused while another process analyses it), and clean up
 * behind the writer it replaces: with the lease held, any analysis of this SAE still running is
 * a gone writer's.
 */
export function takeAnalysisLease(catalog: Catalog, saeId: number, who: WriterIdentity): WriterLease {
  const name = catalog.statement(`SELECT name FROM saes WHERE id = ?`).pluck().get(saeId) as string | undefined;
  const lease = takeLease(catalog, leaseOutputs.analysis(saeId), name === undefined ? `the analysis of SAE #${saeId}` : `the analysis of SAE "${name}"`, who);
  try {
    recoverAnalysesOfSae(catalog, saeId);
  } catch (err) {
    lease.release();
    throw err;
  }
  return lease;
}

/** Fail every 'running' analysis of one SAE and purge it. Only for the holder of its analysis lease. */
function recoverAnalysesOfSae(catalog: Catalog, saeId: number): number {
  const ids = catalog.statement(`SELECT id FROM analyses WHERE sae_id = ? AND state = 'running'`).pluck().all(saeId) as number[];
  const markFailed = catalog.statement(`UPDATE analyses SET state = 'failed', ended_at = ?, message = ? WHERE id = ? AND state = 'running'`);
  for (const id of ids) {
    markFailed.run(Date.now(), INTERRUPTED, id);
    purgeAnalysisRows(catalog, id);
  }
  return ids.length;
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
