import { dirname } from 'node:path';
import { openCatalog, type Catalog } from '../catalog';
import { catalogReadOnlyProblem, ensureDataFolder, resolvePaths, type AppPaths } from '../node/paths';
import { sqliteNativeBinding } from '../node/native-binding';
import { FeaturescopeError, toCommandError } from '../shared/errors';
import { settlePendingChanges } from './sae/sae-folders';

/** What engine handlers share: where things live, the catalog (the engine is its only writer), change notices. */
export interface EngineServices {
  readonly paths: AppPaths;
  /** The workspace catalog, opened (and migrated) on first use. */
  catalog(): Catalog;
  /**
   * The catalog for commands that only read (model.list): the writer when there can be one, else a
   * read-only connection, so a read-only workspace still runs prompts.
   */
  catalogForReading(): Catalog;
  /** Tell the host which tables changed so readers re-read. */
  catalogChanged(tables: string[]): void;
  close(): void;
}

export function createEngineServices(builtDir: string, sendCatalogChanged: (tables: string[]) => void): EngineServices {
  const paths = resolvePaths(builtDir);
  const nativeBinding = sqliteNativeBinding(paths.appRoot);
  let catalog: Catalog | undefined;
  let reader: Catalog | undefined;
  const openWriter = (): Catalog => {
    // Said in the user's words before SQLite says "attempt to write a readonly database".
    ensureDataFolder(dirname(paths.catalog));
    const readOnly = catalogReadOnlyProblem(paths.catalog);
    if (readOnly !== null) throw new FeaturescopeError('failed', readOnly);
    const opened = openCatalog(paths.catalog, { nativeBinding });
    settleSaeFolders(opened, paths.workspace);
    return opened;
  };
  const services: EngineServices = {
    paths,
    catalog: () => (catalog ??= openWriter()),
    catalogForReading: () => {
      if (catalog) return catalog;
      if (catalogReadOnlyProblem(paths.catalog) === null) return services.catalog();
      return (reader ??= openCatalog(paths.catalog, { readonly: true, nativeBinding }));
    },
    catalogChanged: sendCatalogChanged,
    close: () => {
      catalog?.close();
      reader?.close();
    },
  };
  return services;
}

/**
 * An SAE rename or delete a killed process left half done is finished or undone (sae-folders.ts);
 * said on stderr, which the host logs. A failure here must not keep the catalog closed: it is
 * reported and tried again at the next open.
 */
function settleSaeFolders(catalog: Catalog, workspace: string): void {
  try {
    for (const line of settlePendingChanges(catalog, workspace)) process.stderr.write(`featurescope engine: ${line}\n`);
  } catch (err) {
    process.stderr.write(`featurescope engine: could not settle an unfinished SAE rename or delete under ${workspace}/saes/.pending: ${toCommandError(err).message}\n`);
  }
}
