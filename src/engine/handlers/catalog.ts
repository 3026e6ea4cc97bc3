import { addNote, addTag, removeTag, setUserLabel } from '../../catalog';
import type { EngineServices } from '../services';
import type { CallHandlers } from './registry';

/** User edits of the catalog. Each is one transaction in the catalog's writers, then one change notice. */
export function catalogEditHandlers(services: EngineServices): Pick<CallHandlers, 'catalog.setLabel' | 'catalog.addTag' | 'catalog.removeTag' | 'catalog.addNote'> {
  return {
    'catalog.setLabel': ({ saeId, idx, label }) => {
      setUserLabel(services.catalog(), saeId, idx, label === '' ? null : label);
      services.catalogChanged(['labels']);
      return { ok: true as const };
    },
    'catalog.addTag': ({ saeId, idx, tag }) => {
      addTag(services.catalog(), saeId, idx, tag);
      services.catalogChanged(['tags']);
      return { ok: true as const };
    },
    'catalog.removeTag': ({ saeId, idx, tag }) => {
      const removed = removeTag(services.catalog(), saeId, idx, tag);
      services.catalogChanged(['tags']);
      return { removed };
    },
    'catalog.addNote': ({ saeId, idx, text }) => {
      const id = addNote(services.catalog(), saeId, idx, text);
      services.catalogChanged(['notes']);
      return { id };
    },
  };
}
