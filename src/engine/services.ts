import { openCatalog, type Catalog } from '../catalog';
import { resolvePaths, type AppPaths } from '../node/paths';
import { sqliteNativeBinding } from '../node/native-binding';

/** What engine handlers share: where things live, the catalog (the engine is its only writer), change notices. */
export interface EngineServices {
  readonly paths: AppPaths;
  /** The workspace catalog, opened (and migrated) on first use. */
  catalog(): Catalog;
  /** Tell the host which tables changed so readers re-read. */
  catalogChanged(tables: string[]): void;
  close(): void;
}

export function createEngineServices(builtDir: string, sendCatalogChanged: (tables: string[]) => void): EngineServices {
  const paths = resolvePaths(builtDir);
  let catalog: Catalog | undefined;
  return {
    paths,
    catalog: () => (catalog ??= openCatalog(paths.catalog, { nativeBinding: sqliteNativeBinding(paths.appRoot) })),
    catalogChanged: sendCatalogChanged,
    close: () => catalog?.close(),
  };
}
