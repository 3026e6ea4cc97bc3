// The integrity-check policy at open (integrity.ts), on real files: a "big" catalog is simulated
// by a size threshold of 0 bytes, so every byte of the policy runs on a small fixture.
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { checkIntegrity, FULL_CHECK_MAX_AGE_MS, integrityStampPath } from '../../../src/catalog/integrity';
import { openCatalog } from '../../../src/catalog/open';
import { addTag, beginAnalysis, commitAnalysis, setUserLabel, writeFeatures } from '../../../src/catalog/writes';
import { addSae, feature, tempDir } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const BIG = { fullCheckMaxBytes: 0 };

function build(name: string): string {
  const path = tmp.file(name);
  const cat = openCatalog(path);
  const saeId = addSae(cat, 4096);
  const a = beginAnalysis(cat, { saeId, corpusId: null });
  writeFeatures(cat, a, Array.from({ length: 400 }, (_, i) => feature(i, ` w${i}`)));
  commitAnalysis(cat, a);
  cat.db.transaction(() => {
    for (let i = 0; i < 400; i++) setUserLabel(cat, saeId, i, `a hand-written label for feature number ${i}, long enough to fill pages`);
    for (let i = 0; i < 400; i += 3) addTag(cat, saeId, i, 'reviewed');
  })();
  cat.close(); // last connection: WAL checkpointed into the main file
  return path;
}

/** Run the policy on a plain connection, as openCatalog does, and report what it checked. */
function check(path: string, readonly: boolean, options: { now?: number } = {}): string {
  const db = new Database(path, { readonly });
  try {
    return checkIntegrity(db, path, readonly, { ...BIG, ...options });
  } finally {
    db.close();
  }
}

function scribblePage(path: string, table: string): void {
  const db = new Database(path, { readonly: true });
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  const pages = db.prepare(`SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno`).pluck().all(table) as number[];
  db.close();
  expect(pages.length).toBeGreaterThan(1);
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (pages[Math.floor(pages.length / 2)]! - 1) * pageSize);
  closeSync(fd);
}

describe('integrity check at open', () => {
  it('on a big file: the writer checks fully once per file version, then per table; readers check per table', () => {
    const path = build('big.db');
    expect(existsSync(integrityStampPath(path))).toBe(false);
    expect(check(path, false)).toBe('full');
    expect(JSON.parse(readFileSync(integrityStampPath(path), 'utf8'))).toMatchObject({ db: { size: expect.any(Number) }, wal: null });
    expect(check(path, false)).toBe('tables'); // unchanged since the passing full check
    expect(check(path, true)).toBe('tables');
    // Older than the maximum age: fully again.
    expect(check(path, false, { now: Date.now() + FULL_CHECK_MAX_AGE_MS + 1000 })).toBe('full');

    // A write (here a label, through the real writer) makes it another version: fully again, once.
    const cat = openCatalog(path);
    setUserLabel(cat, 1, 3, 'changed');
    cat.close();
    expect(check(path, false)).toBe('full');
    expect(check(path, false)).toBe('tables');
    // A stamp that cannot be read counts as none.
    writeFileSync(integrityStampPath(path), '{not json');
    expect(check(path, false)).toBe('full');
  });

  it('a small file is checked fully at every open, by readers too', () => {
    const path = build('small.db');
    for (const readonly of [false, true, false]) {
      const db = new Database(path, { readonly });
      expect(checkIntegrity(db, path, readonly)).toBe('full');
      db.close();
    }
    expect(existsSync(integrityStampPath(path))).toBe(false);
  });

  it('finds damage in hand-written tables at every open, and in derived tables at the next full check', () => {
    const labels = build('labels-damaged.db');
    check(labels, false); // a passing full check: later opens would be per-table
    scribblePage(labels, 'labels');
    expect(() => check(labels, true)).toThrow(/labels-damaged\.db is damaged \(quick_check: /);

    const derived = build('examples-damaged.db');
    check(derived, false);
    scribblePage(derived, 'examples');
    // A reader does not read the examples' pages: that is the full check's job...
    expect(check(derived, true)).toBe('tables');
    // ...which the writer runs, because the file is not the one its last full check saw.
    expect(() => check(derived, false)).toThrow(/examples-damaged\.db is damaged \(quick_check: /);
  });
});
