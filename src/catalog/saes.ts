// SAE and model rows as the engine and the host read them. Safe on a read-only connection.
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
