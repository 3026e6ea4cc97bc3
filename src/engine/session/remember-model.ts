// The workspace remembers every model folder it opened or captured from (catalog `models`): the
// model picker lists them, and an SAE trained on a capture links to its model's row.
import { rememberModel } from '../../catalog';
import type { LoadedModel } from '../model';
import type { EngineServices } from '../services';
import { describeModel } from './model-info';

/** The model's catalog id; a folder seen for the first time gets its row and a change notice. */
export function rememberModelOf(services: EngineServices, model: LoadedModel): number {
  const { id, added } = rememberModel(services.catalog(), {
    name: describeModel(model, false).name,
    path: model.dir,
    architecture: model.config.modelType,
    config: { ...model.config },
  });
  if (added) services.catalogChanged(['models']);
  return id;
}
