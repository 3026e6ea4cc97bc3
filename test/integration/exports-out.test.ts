// Formats out: Neuronpedia's import layout and the self-contained feature dashboard, written from
// a real SQLite catalog. The folder is read back by an independent reader (Python's gzip and
// json); the dashboard is opened in real Chromium with scripts allowed, to prove it runs none.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNote, addTag, beginAnalysis, commitAnalysis, getFeaturePage, setUserLabel, writeFeatures } from '../../src/catalog';
import { neuronpediaSource } from '../../src/catalog/export-neuronpedia';
import type { Catalog } from '../../src/catalog/open';
import { renderFeatureDashboard } from '../../src/engine/exports/feature-dashboard';
import { NEURONPEDIA_BATCH, writeNeuronpediaFolder } from '../../src/engine/exports/neuronpedia-folder';
import { addSae, feature, newCatalog, tempDir } from '../unit/catalog/helpers';

const FEATURES = NEURONPEDIA_BATCH + 44; // two batches, the second partial
const HOSTILE = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>';

describe('formats out', () => {
  const tmp = tempDir('fs-exports-');
  let catalog: Catalog;
  let saeId: number;
  let browser: Browser;

  beforeAll(async () => {
    catalog = newCatalog(tmp.file('catalog.sqlite'));
    saeId = addSae(catalog, FEATURES, 'My SAE v2');
    const a = beginAnalysis(catalog, { saeId, corpusId: null });
    const records = Array.from({ length: FEATURES }, (_, i) => feature(i, i === 7 ? ' <b>&' : ` w${i}`, { density: (i + 1) / 1000, maxAct: 2 + i / 10 }));
    for (let i = 0; i < records.length; i += 50) writeFeatures(catalog, a, records.slice(i, i + 50));
    commitAnalysis(catalog, a);
    setUserLabel(catalog, saeId, 3, 'greeting words');
    setUserLabel(catalog, saeId, 7, HOSTILE);
    addTag(catalog, saeId, 3, 'reviewed');
    addNote(catalog, saeId, 7, `note with ${HOSTILE}`);
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  });
  afterAll(async () => {
    await browser?.close();
    catalog?.close();
    tmp.cleanup();
  });

  it('writes Neuronpedia’s import layout that a plain gzip + json reader reads back record for record', () => {
    const out = tmp.file('np-export');
    const src = neuronpediaSource(catalog, saeId, 'Tiny GPT2');
    expect(src).toMatchObject({ modelId: 'tiny-gpt2', sourceId: '1-featurescope-my-sae-v2', layerNum: 1 });
    const seen: number[] = [];
    const r = writeNeuronpediaFolder(catalog, saeId, src, out, { onBatch: (n) => seen.push(n) });
    expect(r.features).toBe(FEATURES);
    expect(seen).toEqual([NEURONPEDIA_BATCH, FEATURES]);
    expect(readdirSync(join(out, 'features')).sort()).toEqual(['batch-0.jsonl.gz', 'batch-1.jsonl.gz']);
    // Nothing of the temporary tree is left beside it.
    expect(readdirSync(tmp.dir).filter((f) => f.includes('partial'))).toEqual([]);

    const reader = `
import gzip, json, os, sys
root = sys.argv[1]
def lines(sub):
    out = []
    for name in sorted(os.listdir(os.path.join(root, sub))):
        with gzip.open(os.path.join(root, sub, name), 'rt', encoding='utf-8') as f:
            out += [json.loads(l) for l in f if l.strip()]
    return out
feats, acts, expl = lines('features'), lines('activations'), lines('explanations')
meta = {n: json.loads(open(os.path.join(root, n + '.jsonl')).readline()) for n in ('model', 'source', 'sourceset')}
print(json.dumps({'features': feats, 'activations': acts, 'explanations': expl, 'meta': meta}))
`;
    const read = JSON.parse(execFileSync('python3', ['-c', reader, out], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })) as {
      features: Array<Record<string, unknown>>;
      activations: Array<Record<string, unknown>>;
      explanations: Array<Record<string, unknown>>;
      meta: Record<string, Record<string, unknown>>;
    };
    expect(read.features).toHaveLength(FEATURES);
    expect(read.meta.source).toMatchObject({ id: src.sourceId, modelId: 'tiny-gpt2', setName: 'featurescope-my-sae-v2' });
    expect(read.meta.model).toMatchObject({ id: 'tiny-gpt2' });

    // Each record equals what the feature page of the catalog holds.
    for (const idx of [0, 3, 7, FEATURES - 1]) {
      const page = getFeaturePage(catalog, saeId, idx);
      const f = read.features.find((x) => x.index === String(idx))!;
      expect(f).toMatchObject({ modelId: 'tiny-gpt2', layer: src.sourceId, maxActApprox: page.feature.maxAct, frac_nonzero: page.feature.density, hookName: 'blocks.1.hook_resid_post' });
      expect(f.pos_str).toEqual(page.logitEffects!.promoted.map(([t]) => t));
      expect(f.neg_values).toEqual(page.logitEffects!.suppressed.map(([, v]) => v));
      expect(f.freq_hist_data_bar_heights).toEqual(page.feature.histogram!.counts);
      // log10 histogram lo −3, hi 1, 4 bins: bin centres 10^-2.5, 10^-1.5, 10^-0.5, 10^0.5.
      (f.freq_hist_data_bar_values as number[]).forEach((v, i) => expect(v).toBeCloseTo(10 ** (-2.5 + i), 10));
      const acts = read.activations.filter((x) => x.index === String(idx));
      expect(acts).toHaveLength(page.examples.length);
      for (const [k, e] of page.examples.entries()) {
        const a = acts[k]!;
        expect(a.tokens).toEqual(e.tokens);
        expect(a.values).toEqual(e.values);
        expect(a.maxValue).toBe(Math.max(...e.values));
        expect(e.values[a.maxValueTokenIndex as number]).toBe(Math.max(...e.values));
      }
    }
    const ids = read.activations.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    const of3 = read.explanations.filter((x) => x.index === '3').map((x) => [x.typeName, x.description]);
    expect(of3).toEqual([
      ['user-label', 'greeting words'],
      ['featurescope-token-statistics', getFeaturePage(catalog, saeId, 3).label.auto],
    ]);
  });

  it('leaves an existing export untouched when the new one stops part-way, and replaces it only once complete', () => {
    const out = tmp.file('np-replace');
    const src = neuronpediaSource(catalog, saeId, 'tiny');
    writeNeuronpediaFolder(catalog, saeId, src, out, { onBatch: () => {} });
    writeFileSync(join(out, 'marker.txt'), 'old export');
    expect(() =>
      writeNeuronpediaFolder(catalog, saeId, src, out, {
        onBatch: () => {
          throw new Error('cancelled');
        },
      }),
    ).toThrow('cancelled');
    expect(readFileSync(join(out, 'marker.txt'), 'utf8')).toBe('old export');
    expect(readdirSync(tmp.dir).filter((f) => f.includes('partial'))).toEqual([]);
    writeNeuronpediaFolder(catalog, saeId, src, out, { onBatch: () => {} });
    expect(existsSync(join(out, 'marker.txt'))).toBe(false);
    expect(readdirSync(join(out, 'features'))).toHaveLength(2);
  });

  it('renders a dashboard that shows every chosen feature, escapes what users typed, and runs nothing in a real browser', async () => {
    const pages = [3, 7].map((idx) => getFeaturePage(catalog, saeId, idx));
    const html = renderFeatureDashboard({ sae: pages[0]!.sae, model: '/models/tiny', appVersion: '9.9.9', createdAt: 1_700_000_000_000, features: pages });
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('<img');
    const file = tmp.file('dashboard.html');
    writeFileSync(file, html);
    const page = await browser.newPage({ javaScriptEnabled: true });
    const requests: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(`file://${file}`);
    expect(await page.title()).toBe('2 features of My SAE v2');
    expect(requests).toEqual([]);
    expect(await page.locator('section.feature').count()).toBe(2);
    // The hostile label and note are shown as text, never as markup.
    const s7 = page.locator('#feature-7');
    expect(await s7.locator('h2 .title').textContent()).toBe(HOSTILE);
    expect(await s7.locator('blockquote').first().textContent()).toContain(HOSTILE);
    expect(await s7.locator('img').count()).toBe(0);
    // Token text as the app shows it; the peak token carries the heat.
    expect(await s7.locator('.toks .peak').first().textContent()).toBe(' <b>&');
    expect(await page.locator('#feature-3 .tag').allTextContents()).toEqual(['reviewed']);
    expect(await page.locator('#feature-3 svg.hist rect').count()).toBe(4);
    expect(await page.locator('#feature-3 .logits td.tok').allTextContents()).toEqual([' w3', ' nope']);
    await page.close();
  });
});
