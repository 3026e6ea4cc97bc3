// The workspace's corpus folders (migrations/0007_corpus_folders.ts): where a browser caller may
// read corpora from. Writes run in the engine, each one statement; paths arrive already resolved.
import type { Catalog } from './open';

export interface CorpusFolder {
  path: string;
  addedAt: number;
}

export function listCorpusFolders(catalog: Catalog): CorpusFolder[] {
  return catalog.statement('SELECT path, added_at AS addedAt FROM corpus_folders ORDER BY path').all() as CorpusFolder[];
}

/** Adds a folder (a no-op when it is on the list already). */
export function addCorpusFolder(catalog: Catalog, path: string, now = Date.now()): void {
  catalog.statement('INSERT INTO corpus_folders (path, added_at) VALUES (?, ?) ON CONFLICT (path) DO NOTHING').run(path, now);
}

export function removeCorpusFolder(catalog: Catalog, path: string): boolean {
  return catalog.statement('DELETE FROM corpus_folders WHERE path = ?').run(path).changes > 0;
}
