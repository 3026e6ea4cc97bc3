import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface AppPaths {
  /** The installed app: out/, resources/ live under it. */
  appRoot: string;
  dataDir: string;
  workspace: string;
  catalog: string;
  resources: string;
  bundledModels: string;
  /** Built renderer (index.html + assets) for serve mode. */
  rendererDir: string;
  /** Built engine entry, forked by the host. */
  engineEntry: string;
}

/**
 * One data location for desktop, serve and CLI, so all three see the same workspace.
 * FEATURESCOPE_HOME overrides it (tests use a temp dir).
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FEATURESCOPE_HOME) return resolve(env.FEATURESCOPE_HOME);
  switch (process.platform) {
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', 'featurescope');
    case 'win32':
      return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'featurescope');
    default:
      return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'featurescope');
  }
}

/** `builtDir` is the folder holding the built main bundle (out/main), i.e. __dirname at run time. */
export function resolvePaths(builtDir: string, env: NodeJS.ProcessEnv = process.env): AppPaths {
  const appRoot = resolve(builtDir, '..', '..');
  const dataDir = defaultDataDir(env);
  const workspace = join(dataDir, 'workspaces', env.FEATURESCOPE_WORKSPACE ?? 'default');
  const resources = join(appRoot, 'resources');
  return {
    appRoot,
    dataDir,
    workspace,
    catalog: join(workspace, 'catalog.sqlite'),
    resources,
    bundledModels: join(resources, 'models'),
    rendererDir: join(appRoot, 'out', 'renderer'),
    engineEntry: join(appRoot, 'out', 'main', 'engine.js'),
  };
}
