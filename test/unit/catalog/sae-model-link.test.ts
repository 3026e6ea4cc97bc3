// The SAE→model link: migration 0008 fills saes.model_id of existing rows from provenance.model,
// on a real SQLite file made at the version before it; readers report it as modelId and trainedOn.
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, openCatalog } from '../../../src/catalog/open';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../../src/catalog/migrations/index';
import { migration0008 } from '../../../src/catalog/migrations/0008_sae_model';
import { findSae, listSaes, modelIdByPath, rememberedModelPaths } from '../../../src/catalog/saes';
import { insertSae, rememberModel } from '../../../src/catalog/writes';
import { tempDir } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const provenance = (model: string | undefined) => JSON.stringify({ ...(model === undefined ? {} : { model }), hook: 'blocks.0.hook_resid_post', corpus: null, seed: 1, appVersion: '0.1.0', createdAt: 1 });

describe('migration 0008: saes.model_id', () => {
  it('links existing SAEs to the model row of the folder their provenance names, and leaves the rest', () => {
    const path = tmp.file('before-0008.db');
    const raw = new Database(path);
    const previous = MIGRATIONS[MIGRATIONS.indexOf(migration0008) - 1]!.version;
    expect(migrate(raw, migration0008.version - 1)).toBe(previous);
    // Rows as the app wrote them before: model_id always NULL, the link only in provenance.
    const model = raw.prepare(`INSERT INTO models (id, name, path, architecture, config, added_at) VALUES (?, ?, ?, 'gpt2', '{}', 1)`);
    model.run(1, 'a', '/models/a');
    model.run(2, 'b', '/models/b');
    model.run(3, 'a', '/models/a'); // the same folder opened twice by an older app: the first row wins
    const sae = raw.prepare(
      `INSERT INTO saes (id, name, model_id, hook_name, architecture, d_in, d_sae, cfg, metrics, provenance, weights_path, created_at)
       VALUES (?, ?, ?, 'blocks.0.hook_resid_post', 'topk', 4, 8, '{}', '{}', ?, '/w', 1)`,
    );
    sae.run(1, 'trained-on-a', null, provenance('/models/a'));
    sae.run(2, 'imported', null, provenance('gpt2'));
    sae.run(3, 'trained-on-b', null, provenance('/models/b'));
    sae.run(4, 'already-linked', 2, provenance('/models/a'));
    sae.run(5, 'no-model', null, provenance(undefined));
    sae.run(6, 'folder-never-opened', null, provenance('/models/gone'));
    raw.close();

    const cat = openCatalog(path);
    expect(cat.db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    const linked = Object.fromEntries(listSaes(cat).map((s) => [s.name, { modelId: s.modelId, trainedOn: s.trainedOn }]));
    expect(linked).toEqual({
      'trained-on-a': { modelId: 1, trainedOn: '/models/a' },
      imported: { modelId: null, trainedOn: 'gpt2' },
      'trained-on-b': { modelId: 2, trainedOn: '/models/b' },
      // A link already set is the SAE's own: kept, and it names the model.
      'already-linked': { modelId: 2, trainedOn: '/models/b' },
      'no-model': { modelId: null, trainedOn: null },
      'folder-never-opened': { modelId: null, trainedOn: '/models/gone' },
    });
    expect(findSae(cat, 1)).toMatchObject({ name: 'trained-on-a', weightsPath: '/w', dSae: 8, modelId: 1, trainedOn: '/models/a' });
    expect(findSae(cat, 99)).toBeUndefined();
    cat.close();
  });
});

describe('model rows', () => {
  it('rememberModel adds a folder once and returns its id; new SAEs carry the link', () => {
    const cat = openCatalog(tmp.file('models.db'));
    const input = { name: 'tiny', path: '/models/tiny', architecture: 'gpt2', config: { nLayers: 2 } };
    const first = rememberModel(cat, input);
    expect(first.added).toBe(true);
    expect(rememberModel(cat, input)).toEqual({ id: first.id, added: false });
    expect(rememberModel(cat, { ...input, path: '/models/other' }).added).toBe(true);
    expect(rememberedModelPaths(cat)).toEqual(['/models/tiny', '/models/other']);
    expect(modelIdByPath(cat, '/models/tiny')).toBe(first.id);
    expect(modelIdByPath(cat, '/models/none')).toBeNull();

    const saeId = insertSae(cat, {
      name: 's',
      modelId: first.id,
      hookName: 'blocks.0.hook_resid_post',
      architecture: 'topk',
      dIn: 4,
      dSae: 8,
      cfg: {},
      metrics: {},
      provenance: { model: '/models/tiny', hook: 'blocks.0.hook_resid_post', corpus: null, seed: 1, appVersion: '0.1.0', createdAt: 1 },
      weightsPath: '/w',
    });
    expect(findSae(cat, saeId)).toMatchObject({ modelId: first.id, trainedOn: '/models/tiny' });
    cat.close();
  });
});
