import { saeNameTaken, type Catalog } from '../../catalog';
import { FeaturescopeError } from '../../shared/errors';

/** An SAE's name is its handle in the CLI and the workspace folder: one SAE per name. */
export function refuseTakenName(catalog: Catalog, name: string): void {
  if (saeNameTaken(catalog, name)) throw new FeaturescopeError('invalid_input', `An SAE named "${name}" is already in the catalog; pick another name.`, 'name');
}
