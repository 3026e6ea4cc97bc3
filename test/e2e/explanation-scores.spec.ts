// Explanation scores in the Features view (issue #18): the F1 column sorts best first with
// unscored features ("—") last, the scope control keeps example text out of a search, and the
// feature page shows the score and separator beside the explanation. Seeds its own SAE through
// the real catalog writers.
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { beginAnalysis, commitAnalysis, insertSae, openCatalog, writeFeatures, type FeatureRecord } from '../../src/catalog';

const url = () => process.env.FEATURESCOPE_URL!;
const catalogPath = () => join(process.env.FEATURESCOPE_E2E_HOME!, 'workspaces', 'default', 'catalog.sqlite');

/** F1 per feature idx; null: not scored. */
const F1 = [0.42, null, 0.97, 0.1, null, 0.75];

function record(idx: number): FeatureRecord {
  const word = idx % 2 === 0 ? ' walrus' : ' narwhal';
  // Feature 3's examples alone contain " kelp", away from where it fires: only in example text.
  const tokens = [idx === 3 ? ' kelp' : ' cold', ' the', ' sea', word, ' swam'];
  const f1 = F1[idx]!;
  return {
    idx,
    density: 0.01,
    maxAct: 4,
    meanAct: 2,
    histogram: null,
    examples: [0, 1].map((rank) => ({ kind: 'top' as const, bucket: 0, rank, tokens, values: [0, 0, 0, 4 - rank, 0], doc: rank, start: 0 })),
    logitEffects: null,
    explanationScore: f1 === null ? null : { precision: f1, recall: f1, f1, heldOutTokens: 1000, heldOutFirings: 20 },
    separator: idx === 2 ? 'after " sea"' : null,
  };
}

let saeId = 0;
test.beforeAll(() => {
  const catalog = openCatalog(catalogPath());
  try {
    saeId = insertSae(catalog, {
      name: 'e2e-explanation-scores',
      modelId: null,
      hookName: 'blocks.0.hook_resid_post',
      architecture: 'topk',
      dIn: 8,
      dSae: F1.length,
      cfg: { k: 2 },
      metrics: {},
      provenance: { model: 'e2e-fixture', hook: 'blocks.0.hook_resid_post', corpus: null, seed: 1, appVersion: '0.1.0', createdAt: 1_700_000_000_000 },
      weightsPath: '/nonexistent/e2e-explanation-scores',
    });
    const analysis = beginAnalysis(catalog, { saeId, corpusId: null });
    writeFeatures(catalog, analysis, F1.map((_, i) => record(i)));
    commitAnalysis(catalog, analysis);
  } finally {
    catalog.close();
  }
});

const list = (page: Page) => page.getByRole('listbox', { name: 'Features' });
const shownIdx = (page: Page) => list(page).locator('[role=option][data-idx]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-idx'))));

test('sort by F1, unscored last as "—"; search scope; score and separator on the feature page', async ({ page }) => {
  await page.goto(url());
  await expect(page.getByTestId('status-engine')).toHaveText('engine ready');
  await page.keyboard.press('Alt+3');
  await page.getByLabel('SAE', { exact: true }).selectOption(String(saeId));
  await expect(list(page)).toHaveAttribute('data-total', String(F1.length));

  await page.getByRole('button', { name: 'F1' }).click();
  await expect(page.getByRole('button', { name: 'F1 ↓' })).toBeVisible();
  await expect.poll(() => shownIdx(page)).toEqual([2, 5, 0, 3, 1, 4]);
  const f1Cells = await list(page).getByTestId('row-f1').allTextContents();
  expect(f1Cells).toEqual(['0.97', '0.75', '0.42', '0.10', '—', '—']);
  await expect(list(page).locator('[data-idx="2"]')).toContainText('after " sea"');
  await page.screenshot({ path: 'test-results/screenshots/features-f1-sort.png' });

  // " kelp" is only in feature 3's example text: found in everything, not in explanations.
  await page.getByLabel('Search features').fill('kelp');
  await expect(list(page)).toHaveAttribute('data-results-for', 'kelp');
  await expect(list(page)).toHaveAttribute('data-total', '1');
  await page.getByLabel('Search in').selectOption('explanations');
  await expect(list(page)).toHaveAttribute('data-total', '0');
  await page.getByLabel('Search features').fill('walrus');
  await expect(list(page)).toHaveAttribute('data-results-for', 'walrus');
  await expect(list(page)).toHaveAttribute('data-total', '3');

  await list(page).locator('[data-idx="2"]').click();
  await expect(page.getByTestId('explanation-score')).toContainText('held-out score: F1 0.97');
  await expect(page.getByTestId('explanation-separator')).toHaveText('after " sea" · ');
  await page.screenshot({ path: 'test-results/screenshots/feature-page-score.png' });
});
