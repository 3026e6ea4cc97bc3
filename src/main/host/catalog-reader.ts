import { existsSync } from 'node:fs';
import { getExperiment, getFeaturePage, listExperiments, listSaes, listTags, openCatalog, searchFeatures, type Catalog } from '../../catalog';
import type { CommandOutput, ParsedInput } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import { sqliteNativeBinding } from './native-binding';

type ReadCommand = 'catalog.saes' | 'catalog.search' | 'catalog.feature' | 'catalog.tags' | 'catalog.experiments' | 'catalog.experiment';
export type CatalogReadHandlers = { [C in ReadCommand]: (input: ParsedInput<C>) => CommandOutput<C> };

/**
 * The host's read-only view of the workspace catalog: its own connection (the engine is the
 * only writer), opened when first needed. Before anything was written there is no file: an
 * empty workspace, not an error.
 */
export function catalogReader(catalogPath: string, appRoot: string): CatalogReadHandlers & { close(): void } {
  let catalog: Catalog | undefined;
  const open = (): Catalog | undefined => {
    if (catalog) return catalog;
    if (!existsSync(catalogPath)) return undefined;
    catalog = openCatalog(catalogPath, { readonly: true, nativeBinding: sqliteNativeBinding(appRoot) });
    return catalog;
  };
  const need = (): Catalog => {
    const c = open();
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

