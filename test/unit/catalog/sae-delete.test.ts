// deleteSaeRows against the schema itself: every table that references an SAE (directly, or through
// its features or analyses) is in its list, so a table added by a later migration cannot keep rows
// of a deleted SAE unnoticed; and the delete is one transaction (a failure midway leaves every row).
import { afterAll, describe, expect, it } from 'vitest';
import { deleteSaeRows, SAE_ROW_DELETES } from '../../../src/catalog/saes';
import { addSae, newCatalog, tempDir } from './helpers';

const tmp = tempDir('fs-sae-delete-');
afterAll(() => tmp.cleanup());

describe('deleteSaeRows', () => {
  it('covers every table with a foreign key to saes, analyses or features', () => {
    const catalog = newCatalog(tmp.file('schema.sqlite'));
    const tables = catalog.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).pluck().all() as string[];
    const owned = new Set(['saes', 'analyses', 'features']);
    const referencing = tables.filter((t) => (catalog.db.prepare(`SELECT "table" FROM pragma_foreign_key_list(?)`).pluck().all(t) as string[]).some((parent) => owned.has(parent)));
    const listed = new Set(SAE_ROW_DELETES.map(([table]) => table));
    // experiments keeps its rows on purpose (ON DELETE SET NULL): the log stays citable.
    const missing = referencing.filter((t) => !listed.has(t) && t !== 'experiments' && t !== 'saes');
    expect(missing).toEqual([]);
    expect(referencing.length).toBeGreaterThan(5);
    catalog.close();
  });

  it('deletes in one transaction: a failure leaves every row in place', () => {
    const catalog = newCatalog(tmp.file('tx.sqlite'));
    const saeId = addSae(catalog);
    catalog.db.prepare(`INSERT INTO labels (sae_id, idx, user_label, updated_at) VALUES (?, 1, 'x', 1)`).run(saeId);
    // A trigger that fails the SAE row's delete, after the labels were deleted in the same transaction.
    catalog.db.exec(`CREATE TEMP TRIGGER refuse BEFORE DELETE ON saes BEGIN SELECT RAISE(ABORT, 'refused'); END;`);
    expect(() => deleteSaeRows(catalog, saeId)).toThrow('refused');
    expect(catalog.db.prepare(`SELECT count(*) FROM labels`).pluck().get()).toBe(1);
    expect(catalog.db.prepare(`SELECT count(*) FROM saes`).pluck().get()).toBe(1);
    catalog.db.exec(`DROP TRIGGER refuse`);
    expect(deleteSaeRows(catalog, saeId)).toMatchObject({ labels: 1, saes: 1 });
    catalog.close();
  });
});
