// Which model folder an SAE runs on: the one the caller gives, else the one it was trained on
// (its catalog link) — when that folder is on this machine. Shared by the commands that run an SAE
// inside its model (sae.evaluate, sae.analyze, scan.run).
import { existsSync } from 'node:fs';
import { findSae, type Catalog } from '../../catalog';
import { FeaturescopeError } from '../../shared/errors';

export interface SaeModelRow {
  name: string;
  /** The SAE's weights folder, as the catalog records it. */
  path: string;
  /** The model folder to run it on. */
  modelDir: string;
}

/** The SAE's catalog row and its model folder; `field` names the SAE id's field in refusals. */
export function saeModelRow(catalog: Catalog, saeId: number, givenModel: string | undefined, field: string): SaeModelRow {
  const sae = findSae(catalog, saeId);
  if (!sae) throw new FeaturescopeError('not_found', `There is no SAE #${saeId} in the catalog.`, field);
  const modelDir = givenModel ?? sae.trainedOn;
  if (!modelDir || !existsSync(modelDir)) {
    throw new FeaturescopeError('invalid_input', `The SAE was made for "${sae.trainedOn ?? 'an unknown model'}", which is not a folder on this machine: pass the model folder.`, 'model');
  }
  return { name: sae.name, path: sae.weightsPath, modelDir };
}
