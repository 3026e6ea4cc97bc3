import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FeaturescopeError } from '../shared/errors';

/**
 * better-sqlite3's native addon for the runtime we are in. Plain Node uses the one npm built in
 * node_modules (undefined = default). Electron (main and the engine's utilityProcess) needs a
 * build for Electron's ABI, which `npm start` puts in .cache/electron-native/<version>/.
 */
export function sqliteNativeBinding(appRoot: string): string | undefined {
  const electron = process.versions.electron;
  if (!electron) return undefined;
  const path = join(appRoot, '.cache', 'electron-native', electron, 'better_sqlite3.node');
  if (!existsSync(path)) {
    throw new FeaturescopeError('not_found', `better-sqlite3 is not built for Electron ${electron} (${path} is missing). Run "npm start", which builds it.`);
  }
  return path;
}
