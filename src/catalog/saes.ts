// SAE and model rows as the engine and the host read them (safe on a read-only connection), and
// the two writes of an SAE's own row: rename, and delete with everything that hangs off it.
// The SAE→model link is `saes.model_id` (filled since migration 0008); an SAE whose model folder
// has no row (an imported SAE names a model, not a folder) falls back to what its provenance says.
import type { Catalog } from './open';
import { FEATURE_PAGE_SQL } from './queries';
import type { AnalysisInfo, SaeSummary } from './types';

/** What the engine needs to run an SAE: its files, its shape and the model it was made on. */
export interface SaeRecord {
  id: number;
  name: string;
  hookName: string;
  architecture: string;
  dIn: number;
  dSae: number;
  /** The SAE's SAELens folder in the workspace. */
  weightsPath: string;
  modelId: number | null;
  /** The model row's folder, else the provenance's model (a folder or a model name); null if neither. */
  trainedOn: string | null;
}

const TRAINED_ON = `coalesce((SELECT m.path FROM models m WHERE m.id = s.model_id), json_extract(s.provenance, '$.model'))`;

export function findSae(catalog: Catalog, saeId: number): SaeRecord | undefined {
  return catalog
    .statement(
      `SELECT s.id, s.name, s.hook_name AS hookName, s.architecture, s.d_in AS dIn, s.d_sae AS dSae, s.weights_path AS weightsPath,
              s.model_id AS modelId, ${TRAINED_ON} AS trainedOn
       FROM saes s WHERE s.id = ?`,
    )
    .get(saeId) as SaeRecord | undefined;
}

export function saeNameTaken(catalog: Catalog, name: string): boolean {
  return catalog.statement(`SELECT 1 FROM saes WHERE name = ?`).get(name) !== undefined;
}

export function listSaes(catalog: Catalog): SaeSummary[] {
  const rows = catalog
    .statement(
      `SELECT s.id, s.name, s.hook_name AS hookName, s.architecture, s.d_in AS dIn, s.d_sae AS dSae, s.metrics, s.provenance,
              s.model_id AS modelId, ${TRAINED_ON} AS trainedOn, s.active_analysis_id AS analysisId
       FROM saes s ORDER BY s.id`,
    )
    .all() as Array<Omit<SaeSummary, 'metrics' | 'provenance' | 'analysis'> & { metrics: string; provenance: string; analysisId: number | null }>;
  return rows.map(({ metrics, provenance, analysisId, ...s }) => ({
    ...s,
    metrics: JSON.parse(metrics) as Record<string, number>,
    provenance: JSON.parse(provenance) as Record<string, unknown>,
    analysis: analysisId === null ? null : (catalog.statement(FEATURE_PAGE_SQL.analysis).get(analysisId) as AnalysisInfo),
  }));
}

/** Model folders the workspace remembers (opened, or captured from), oldest first, each once. */
export function rememberedModelPaths(catalog: Catalog): string[] {
  return catalog.statement(`SELECT path FROM models GROUP BY path ORDER BY min(id)`).pluck().all() as string[];
}

/** The catalog id of a model folder, or null when it has no row. */
export function modelIdByPath(catalog: Catalog, path: string): number | null {
  return (catalog.statement(`SELECT id FROM models WHERE path = ? ORDER BY id LIMIT 1`).pluck().get(path) as number | undefined) ?? null;
}

/**
 * Every row of one SAE, child tables first, as (table, statement) pairs run in this order. The FTS
 * tables (features_fts, examples_fts, symbols_fts) follow by their delete triggers on features and
 * examples. Logged experiments are kept (the log is citable); their link to the SAE goes to NULL.
 * Exported so a test can hold it against every foreign key of the schema.
 */
export const SAE_ROW_DELETES: ReadonlyArray<readonly [table: string, sql: string]> = [
  ['examples', `DELETE FROM examples WHERE feature_id IN (SELECT id FROM features WHERE sae_id = @saeId)`],
  ['logit_effects', `DELETE FROM logit_effects WHERE feature_id IN (SELECT id FROM features WHERE sae_id = @saeId)`],
  ['features', `DELETE FROM features WHERE sae_id = @saeId`],
  ['labels', `DELETE FROM labels WHERE sae_id = @saeId`],
  ['feature_tags', `DELETE FROM feature_tags WHERE sae_id = @saeId`],
  ['notes', `DELETE FROM notes WHERE sae_id = @saeId`],
  ['watchlist_entries', `DELETE FROM watchlist_entries WHERE sae_id = @saeId`],
  ['analyses', `DELETE FROM analyses WHERE sae_id = @saeId`],
  ['saes', `DELETE FROM saes WHERE id = @saeId`],
];

/** Delete an SAE and every row of it in one transaction; rows removed by table. */
export function deleteSaeRows(catalog: Catalog, saeId: number): Record<string, number> {
  return catalog.db
    .transaction(() => {
      const rows: Record<string, number> = {};
      const tagIds = catalog.statement(`SELECT DISTINCT tag_id FROM feature_tags WHERE sae_id = ?`).pluck().all(saeId) as number[];
      // The SAE's row points at its active analysis: unlink it before the analyses go.
      catalog.statement(`UPDATE saes SET active_analysis_id = NULL WHERE id = ?`).run(saeId);
      for (const [table, sql] of SAE_ROW_DELETES) rows[table] = catalog.statement(sql).run({ saeId }).changes;
      // A tag name only this SAE's features carried goes with them; names other SAEs use stay.
      const dropTag = catalog.statement(`DELETE FROM tags WHERE id = ? AND NOT EXISTS (SELECT 1 FROM feature_tags WHERE tag_id = ?)`);
      rows.tags = tagIds.reduce((n, id) => n + dropTag.run(id, id).changes, 0);
      return rows;
    })
    .immediate();
}

/** Give an SAE a new name and folder in one statement (its folders move beside it, see engine/sae/sae-folders). */
export function renameSaeRow(catalog: Catalog, saeId: number, name: string, weightsPath: string): void {
  catalog.statement(`UPDATE saes SET name = ?, weights_path = ? WHERE id = ?`).run(name, weightsPath, saeId);
}
