import { existsSync } from 'node:fs';
import { getExperiment, getFeaturePage, listExperiments, listSaes, listTags, openCatalog, searchFeatures, type Catalog } from '../catalog';
import type { CommandOutput, ParsedInput } from '../shared/contract';
import { FeaturescopeError } from '../shared/errors';
import { sqliteNativeBinding } from '../node/native-binding';

type ReadCommand = 'catalog.saes' | 'catalog.search' | 'catalog.feature' | 'catalog.tags' | 'catalog.experiments' | 'catalog.experiment';
export type CatalogReadHandlers = { [C in ReadCommand]: (input: ParsedInput<C>) => CommandOutput<C> };

/**
 * The host's read-only view of the workspace catalog: its own connection (the engine is the
 * only writer, and migrates the file before it reports ready), opened when first needed.
 * Before that there is nothing to read: an empty workspace, not an error.
 */
export function catalogReader(catalogPath: string, appRoot: string, writerReady: () => boolean): CatalogReadHandlers & { close(): void } {
  let catalog: Catalog | undefined;
  const open = (): Catalog | undefined => {
    if (catalog) return catalog;
    // Until the engine (the writer) has created and migrated the file, there is nothing to read.
    if (!writerReady() || !existsSync(catalogPath)) return undefined;
    catalog = openCatalog(catalogPath, { readonly: true, nativeBinding: sqliteNativeBinding(appRoot) });
    return catalog;
  };
  const need = (): Catalog => {
    const c = open();
    if (!c && !writerReady()) throw new FeaturescopeError('engine_unavailable', 'The engine is starting; the catalog opens when it is ready.');
    if (!c) throw new FeaturescopeError('not_found', 'The workspace catalog is empty: train or import an SAE and analyse it first.');
    return c;
  };
  return {
    'catalog.saes': () => {
      const c = open();
      return c ? listSaes(c) : [];
    },
    'catalog.search': (q) => searchFeatures(need(), q),
    'catalog.feature': ({ saeId, idx }) => getFeaturePage(need(), saeId, idx),
    'catalog.tags': ({ saeId }) => {
      const c = open();
      return c ? listTags(c, saeId) : [];
    },
    'catalog.experiments': (args) => {
      const c = open();
      return c ? listExperiments(c, args) : [];
    },
    'catalog.experiment': ({ ref }) => getExperiment(need(), ref),
    close: () => catalog?.close(),
  };
}

