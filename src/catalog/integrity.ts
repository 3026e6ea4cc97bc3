// The integrity check at catalog open, and what it costs on a big file.
//
// `PRAGMA quick_check` reads every page: 3-11 s on a 1.2 GB catalog of a million features,
// paid at every start. (`quick_check(N)` does not help: N caps the errors reported, not the
// pages read.) The policy:
//   - every open (engine or host): quick_check of every table except the big derived ones
//     (features, examples, logit_effects and the FTS indexes), in milliseconds at any size.
//     That covers the schema and what people wrote by hand: labels, tags, notes, experiments.
//   - a file up to FULL_CHECK_MAX_BYTES: the full quick_check at every open.
//   - a bigger file: the engine (the writer, which opens before any host reader) runs the full
//     check when the file is not the one the last passing full check saw (size and mtime of the
//     file and its WAL, kept in a sidecar `<catalog>.integrity.json`), or when that check is more
//     than FULL_CHECK_MAX_AGE_MS old. Host readers rely on it and do the cheap check only.
// So a big catalog that was written to since the last start is fully checked at the next start;
// one that was only browsed opens in milliseconds.
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { FeaturescopeError } from '../shared/errors';

export const FULL_CHECK_MAX_BYTES = 256 * 2 ** 20;
export const FULL_CHECK_MAX_AGE_MS = 7 * 24 * 3600 * 1000;
/** Tables whose pages are most of a big catalog; all of them are derived from analyses and can be rebuilt. */
const DERIVED = /^(features|examples|logit_effects|features_fts.*|examples_fts.*)$/;

export type CheckScope = 'full' | 'tables';

interface Stamp {
  db: { size: number; mtimeMs: number };
  wal: { size: number; mtimeMs: number } | null;
  checkedAt: number;
}

export function integrityStampPath(catalogPath: string): string {
  return `${catalogPath}.integrity.json`;
}

/** Check the catalog as the policy above says; returns what was checked. Throws bad_file naming the damage. */
export function checkIntegrity(
  db: Database.Database,
  path: string,
  readonly: boolean,
  { now = Date.now(), fullCheckMaxBytes = FULL_CHECK_MAX_BYTES }: { now?: number; fullCheckMaxBytes?: number } = {},
): CheckScope {
  const size = existsSync(path) ? statSync(path).size : 0;
  const big = size > fullCheckMaxBytes;
  const full = !big || (!readonly && !stampMatches(path, now));
  const problems = full ? quickCheck(db) : quickCheckTables(db);
  if (problems.length > 0) {
    const shown = problems.slice(0, 3).join('; ');
    throw new FeaturescopeError(
      'bad_file',
      `Catalog ${path} is damaged (quick_check: ${shown}${problems.length > 3 ? '; …' : ''}). Restore it from a backup or rebuild it.`,
    );
  }
  if (full && big && !readonly) writeStamp(path, now);
  return full ? 'full' : 'tables';
}

function quickCheck(db: Database.Database, table?: string): string[] {
  try {
    const rows = db.pragma(table === undefined ? 'quick_check' : `quick_check("${table.replace(/"/g, '""')}")`) as Array<{ quick_check: string }>;
    return rows.map((r) => r.quick_check).filter((s) => s !== 'ok');
  } catch (err) {
    // Damage bad enough that the check itself cannot walk the file (e.g. a broken schema page).
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') return [err instanceof Error ? err.message.replace(/\.$/, '') : String(err)];
    throw err;
  }
}

function quickCheckTables(db: Database.Database): string[] {
  const problems = quickCheck(db, 'sqlite_schema');
  if (problems.length > 0) return problems;
  const tables = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'`).pluck().all() as string[];
  for (const name of tables) if (!DERIVED.test(name)) problems.push(...quickCheck(db, name));
  return problems;
}

/** Size and mtime; null for no file, and for an empty WAL (opening in WAL mode creates one, holding nothing). */
function fileStamp(path: string): { size: number; mtimeMs: number } | null {
  if (!existsSync(path)) return null;
  const s = statSync(path);
  return s.size === 0 && path.endsWith('-wal') ? null : { size: s.size, mtimeMs: s.mtimeMs };
}

function stampMatches(path: string, now: number): boolean {
  let stamp: Stamp;
  try {
    stamp = JSON.parse(readFileSync(integrityStampPath(path), 'utf8')) as Stamp;
  } catch {
    return false; // none yet, or unreadable: check fully
  }
  const same = (a: { size: number; mtimeMs: number } | null, b: { size: number; mtimeMs: number } | null) =>
    a === null || b === null ? a === b : a.size === b.size && a.mtimeMs === b.mtimeMs;
  return now - stamp.checkedAt <= FULL_CHECK_MAX_AGE_MS && same(stamp.db, fileStamp(path)) && same(stamp.wal ?? null, fileStamp(`${path}-wal`));
}

function writeStamp(path: string, now: number): void {
  const stamp: Stamp = { db: fileStamp(path)!, wal: fileStamp(`${path}-wal`), checkedAt: now };
  const target = integrityStampPath(path);
  try {
    writeFileSync(`${target}.tmp`, `${JSON.stringify(stamp)}\n`);
    renameSync(`${target}.tmp`, target);
  } catch {
    // A folder we cannot write to only means the next open checks fully again.
  }
}
