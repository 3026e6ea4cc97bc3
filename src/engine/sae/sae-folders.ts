// The folders of an SAE in the workspace (saes/<name>, its SAELens copy; checkpoints/<name>, its
// training state) and how they move when the SAE is renamed or deleted, crash-safely. The catalog
// row and the folders cannot change in one transaction, so each change first writes what it is about
// to do into saes/.pending/, then moves folders, then commits the row, then clears its note. A note
// left by a process that died is settled when a workspace's catalog is next opened for writing, by
// what the committed row says: a delete whose row is gone is finished (its folders removed), one whose
// row is still there is undone (its folders put back); a rename is finished or undone the same way.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { findSae, type Catalog } from '../../catalog';
import { leaseOutputs, liveLease } from '../../catalog/leases';
import { writeFileAtomic } from '../formats/atomic';

export interface FolderMove {
  from: string;
  to: string;
}

interface PendingChange {
  kind: 'delete' | 'rename';
  saeId: number;
  /** The SAE's name before the change. */
  name: string;
  /** rename: the name after. */
  newName?: string;
  moves: FolderMove[];
}

const NOTE = 'change.json';

export function pendingFolder(workspace: string): string {
  return join(workspace, 'saes', '.pending');
}

/** The folders of the workspace that are this SAE's alone: never a folder it was imported from. */
export function ownedFolders(workspace: string, name: string, weightsPath: string): string[] {
  const own = [join(workspace, 'saes', name), join(workspace, 'checkpoints', name)];
  return own.filter((dir, i) => existsSync(dir) && (i > 0 || resolve(weightsPath) === dir));
}

/**
 * Delete: move the SAE's folders into a pending folder, run `commit` (the catalog transaction), then
 * remove them. If `commit` throws, the folders go back and nothing changed.
 */
export function deleteWithFolders<T>(workspace: string, saeId: number, name: string, folders: string[], commit: () => T): T {
  const holder = join(pendingFolder(workspace), `delete-${saeId}-${randomBytes(4).toString('hex')}`);
  mkdirSync(holder, { recursive: true });
  const moves = folders.map((from, i) => ({ from, to: join(holder, `${i}`) }));
  writeFileAtomic(join(holder, NOTE), JSON.stringify({ kind: 'delete', saeId, name, moves } satisfies PendingChange));
  const done: FolderMove[] = [];
  let result: T;
  try {
    for (const m of moves) {
      renameSync(m.from, m.to);
      done.push(m);
    }
    result = commit();
  } catch (err) {
    undo(done);
    clear(workspace, holder);
    throw err;
  }
  clear(workspace, holder);
  return result;
}

/** Remove a change's note (and what it holds); the pending folder too once it is empty. */
function clear(workspace: string, path: string): void {
  rmSync(path, { recursive: true, force: true });
  try {
    rmdirSync(pendingFolder(workspace));
  } catch {
    // not empty (another change is under way) or already gone
  }
}

/** Rename: note the moves, move the folders, run `commit` (the row's new name and path), clear the note. */
export function renameWithFolders<T>(workspace: string, saeId: number, name: string, newName: string, moves: FolderMove[], commit: () => T): T {
  mkdirSync(pendingFolder(workspace), { recursive: true });
  const note = join(pendingFolder(workspace), `rename-${saeId}-${randomBytes(4).toString('hex')}.json`);
  writeFileAtomic(note, JSON.stringify({ kind: 'rename', saeId, name, newName, moves } satisfies PendingChange));
  const done: FolderMove[] = [];
  try {
    for (const m of moves) {
      renameSync(m.from, m.to);
      done.push(m);
    }
    const result = commit();
    clear(workspace, note);
    return result;
  } catch (err) {
    undo(done);
    clear(workspace, note);
    throw err;
  }
}

function undo(moves: FolderMove[]): void {
  for (const m of [...moves].reverse()) if (existsSync(m.to) && !existsSync(m.from)) renameSync(m.to, m.from);
}

function redo(moves: FolderMove[]): void {
  for (const m of moves) if (existsSync(m.from) && !existsSync(m.to)) renameSync(m.from, m.to);
}

/**
 * Settle the changes a dead process left half done (see the top of this file). A change whose SAE's
 * lease is held by a live process is that process's, in progress, and is left alone. Returns what
 * was settled, in words, for the engine's log.
 */
export function settlePendingChanges(catalog: Catalog, workspace: string): string[] {
  const dir = pendingFolder(workspace);
  if (!existsSync(dir)) return [];
  const settled: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const notePath = entry.endsWith('.json') ? path : join(path, NOTE);
    let change: PendingChange;
    try {
      change = JSON.parse(readFileSync(notePath, 'utf8')) as PendingChange;
    } catch {
      // The note was never written whole: nothing was moved yet (moves start after it is written).
      rmSync(path, { recursive: true, force: true });
      continue;
    }
    if (liveLease(catalog, leaseOutputs.sae(change.name)) !== undefined) continue;
    const row = findSae(catalog, change.saeId);
    if (change.kind === 'delete') {
      const stillThere = row !== undefined && row.name === change.name;
      if (stillThere) undo(change.moves);
      settled.push(stillThere ? `put back the folders of SAE "${change.name}", whose delete did not commit` : `removed the folders of deleted SAE "${change.name}"`);
    } else {
      const committed = row !== undefined && row.name === change.newName;
      if (committed) redo(change.moves);
      else undo(change.moves);
      settled.push(committed ? `finished renaming SAE "${change.name}" to "${change.newName}"` : `undid the unfinished rename of SAE "${change.name}"`);
    }
    clear(workspace, path);
  }
  return settled;
}
