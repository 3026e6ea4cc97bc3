import type { Migration } from './types';

// The SAE→model link as a column. Until now `saes.model_id` was always NULL and the link lived in
// `provenance.model` (the model folder a trained SAE came from, or the model name of an imported
// one). Existing rows get the model row of that folder, when the workspace has one; an SAE whose
// provenance names no folder of `models` keeps NULL (saes.ts falls back to the provenance).
// New SAEs are linked when they are trained (sae.train), so nothing re-reads the JSON for it.
export const migration0008: Migration = {
  version: 8,
  name: 'sae model link',
  sql: /* sql */ `
UPDATE saes SET model_id = (SELECT m.id FROM models m WHERE m.path = json_extract(saes.provenance, '$.model') ORDER BY m.id LIMIT 1)
WHERE model_id IS NULL;
`,
};
