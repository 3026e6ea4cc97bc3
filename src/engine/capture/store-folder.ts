// The folder `train --store` (and the Train form) names, checked before training opens it: the
// message says it is an activation store that is missing, not a model folder, and points to where
// the stores are; a capture folder given instead of one of its hook stores names those stores.
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { FeaturescopeError } from '../../shared/errors';
import { MANIFEST_FILE } from './store';

const LISTS_STORES = '`featurescope captures` lists the stores of this workspace';

/** The real path of an activation store folder, or an error naming what is wrong with `dir`. */
export function activationStoreFolder(dir: string): string {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    throw new FeaturescopeError('not_found', `store: no activation store at ${dir}: the folder does not exist (${LISTS_STORES}).`, 'store');
  }
  if (!existsSync(join(real, MANIFEST_FILE))) {
    const hooks = readdirSync(real, { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(join(real, e.name, MANIFEST_FILE)));
    if (hooks.length > 0) {
      throw new FeaturescopeError('invalid_input', `store: ${dir} is a capture with one store per hook; give one of them: ${hooks.map((e) => join(dir, e.name)).join(', ')}.`, 'store');
    }
    throw new FeaturescopeError('not_found', `store: ${dir} is not an activation store (it has no ${MANIFEST_FILE}; ${LISTS_STORES}).`, 'store');
  }
  return real;
}
