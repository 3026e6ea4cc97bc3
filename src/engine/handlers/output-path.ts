// Where the engine may write a file or folder the user named: exports (catalog.export, sae.export)
// and report copies (scan.run, audit.run). A browser caller writes only inside the workspace; the
// CLI writes where its user typed. Nothing existing is replaced unless `force` is set. Every
// refusal names the path, the field and what to do; checks run before the work starts.
import { accessSync, constants, existsSync, mkdirSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { CallerKind } from '../../shared/engine-protocol';
import { FeaturescopeError } from '../../shared/errors';
import { isInsideFolder } from '../capture/corpus-access';

export interface OutputRules {
  caller: CallerKind;
  /** The workspace folder: a browser's outputs stay under it. */
  workspace: string;
  /** Replace an existing file (or write into a non-empty folder). */
  force: boolean;
  field: string;
}

/** Where a browser's exports go by default: `<workspace>/exports`. */
export function exportsFolder(workspace: string): string {
  return join(workspace, 'exports');
}

/** The resolved path of a file to write, checked: confined, its folder writable, not replacing anything unasked. */
export function checkOutputFile(path: string, rules: OutputRules): string {
  const target = resolve(path);
  confine(target, rules);
  const folder = dirname(target);
  ensureFolder(folder, rules);
  const existing = statSync(target, { throwIfNoEntry: false });
  if (existing?.isDirectory()) throw new FeaturescopeError('invalid_input', `${rules.field}: ${target} is a folder; give a file name.`, rules.field);
  if (existing && !rules.force) throw exists(target, 'file', rules.field);
  return target;
}

/** The resolved path of a folder to write files into: confined, empty or new unless `force`. */
export function checkOutputFolder(path: string, rules: OutputRules): string {
  const target = resolve(path);
  confine(target, rules);
  const existing = statSync(target, { throwIfNoEntry: false });
  if (existing && !existing.isDirectory()) throw new FeaturescopeError('invalid_input', `${rules.field}: ${target} exists and is not a folder; nothing was written.`, rules.field);
  if (existing && readdirSync(target).length > 0 && !rules.force) throw exists(target, 'folder', rules.field);
  ensureFolder(dirname(target), rules);
  return target;
}

function exists(target: string, what: 'file' | 'folder', field: string): FeaturescopeError {
  const detail = what === 'file' ? 'already exists' : 'exists and is not empty';
  return new FeaturescopeError('invalid_input', `${field}: ${target} ${detail}; nothing was written. Pass --force (in the app: tick "Replace existing") to overwrite it.`, field);
}

function confine(target: string, rules: OutputRules): void {
  if (rules.caller === 'cli') return;
  const workspace = realOrSelf(rules.workspace);
  if (!isInsideFolder(resolvedThroughLinks(target), workspace) || target === rules.workspace) {
    throw new FeaturescopeError(
      'invalid_input',
      `${rules.field}: ${target} is outside the workspace (${rules.workspace}). The app writes only into its workspace, e.g. ${exportsFolder(rules.workspace)}; to write elsewhere use the command line.`,
      rules.field,
    );
  }
}

/** The folder must exist and be writable; inside the workspace (ours) it is created. */
function ensureFolder(folder: string, rules: OutputRules): void {
  if (!existsSync(folder) && isInsideFolder(resolvedThroughLinks(folder), realOrSelf(rules.workspace))) mkdirSync(folder, { recursive: true });
  const dir = statSync(folder, { throwIfNoEntry: false });
  if (dir === undefined) throw new FeaturescopeError('not_found', `${rules.field}: folder ${folder} does not exist; create it or pick another.`, rules.field);
  if (!dir.isDirectory()) throw new FeaturescopeError('invalid_input', `${rules.field}: ${folder} is not a folder.`, rules.field);
  try {
    // Files are written to a temp file in the same folder and renamed over the target.
    accessSync(folder, constants.W_OK | constants.X_OK);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'EROFS' ? 'is on a read-only file system' : 'is not writable by this user';
    throw new FeaturescopeError('invalid_input', `${rules.field}: folder ${folder} ${why}; pick another.`, rules.field);
  }
}

/** `path` with every existing ancestor's links resolved (the file itself may not exist yet). */
function resolvedThroughLinks(path: string): string {
  const tail: string[] = [];
  let at = path;
  for (;;) {
    try {
      return join(realpathSync(at), ...tail.reverse());
    } catch {
      const up = dirname(at);
      if (up === at) return path;
      tail.push(basename(at));
      at = up;
    }
  }
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
