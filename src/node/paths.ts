import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { FeaturescopeError } from '../shared/errors';

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

/**
 * Creates `dir` (and its parents) for the app's data, or says which folder could not be made and
 * why, with FEATURESCOPE_HOME as the way out. mkdir's own error names the deepest folder it wanted
 * with a misleading cause (a read-only home gives "ENOENT … mkdir").
 */
export function ensureDataFolder(dir: string, env: NodeJS.ProcessEnv = process.env): void {
  try {
    mkdirSync(dir, { recursive: true });
    return;
  } catch (err) {
    throw new FeaturescopeError('failed', dataFolderProblem(dir, err, env));
  }
}

function dataFolderProblem(dir: string, original: unknown, env: NodeJS.ProcessEnv): string {
  // The first folder on the way down that does not exist is the one that could not be made.
  let missing = resolve(dir);
  while (!existsSync(dirname(missing)) && dirname(missing) !== missing) missing = dirname(missing);
  const parent = dirname(missing);
  let code = (original as NodeJS.ErrnoException).code;
  try {
    mkdirSync(missing);
  } catch (err) {
    code = (err as NodeJS.ErrnoException).code ?? code;
  }
  const cause =
    code === 'EROFS'
      ? `${parent} is on a read-only file system`
      : code === 'EACCES' || code === 'EPERM'
        ? `this user may not write in ${parent}`
        : code === 'ENOSPC'
          ? `the disk holding ${parent} is full`
          : code === 'ENOTDIR' || code === 'EEXIST'
            ? `a file is in the way of ${missing}`
            : `${code ?? 'unknown error'}`;
  const where = env.FEATURESCOPE_HOME ? `FEATURESCOPE_HOME is ${env.FEATURESCOPE_HOME}` : `the default data folder is ${defaultDataDir(env)}`;
  return `Cannot create the folder ${missing}: ${cause}. Featurescope keeps its workspace there (${where}); set FEATURESCOPE_HOME to a writable folder, e.g. FEATURESCOPE_HOME=/tmp/featurescope.`;
}

/**
 * Why the catalog file at `path` cannot be opened for writing, or null if it can: a read-only file
 * system, or a file or folder this user may not write. Checked before SQLite, whose own words
 * ("attempt to write a readonly database") name neither the file nor the cause.
 */
export function catalogReadOnlyProblem(path: string): string | null {
  const target = existsSync(path) ? path : dirname(path);
  try {
    accessSync(target, constants.W_OK);
    if (target === path) accessSync(dirname(path), constants.W_OK); // the -wal and -shm files live beside it
    return null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const cause = code === 'EROFS' ? 'it is on a read-only file system' : 'this user may not write it';
    return `The workspace catalog ${path} is read-only (${cause}): commands that change the workspace cannot run. Make ${dirname(path)} writable, or set FEATURESCOPE_HOME to a writable folder.`;
  }
}
