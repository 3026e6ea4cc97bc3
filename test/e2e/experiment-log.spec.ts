// Issue #18, finding 7: after an audit the log read 20 identical "audit — — —" rows with "SAE #1".
// Each row now says what it is (unit, feature label, SAE name, prompt or contrast set, a figure),
// and the log filters by kind, SAE and text in the catalog (not only the loaded page).
// Issue #18, finding 3: the Features header shows evaluation and analysis figures, saying over how
// many tokens, never training's. Screenshots at 1440×900 and 1280×800.
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { logExperiment, openCatalog, updateSaeMetrics } from '../../src/catalog';
import { seedCatalog, themeOf } from './feature-fixture';

const url = () => process.env.FEATURESCOPE_URL!;
const catalogPath = () => join(process.env.FEATURESCOPE_E2E_HOME!, 'workspaces', 'default', 'catalog.sqlite');
const SIZES = [[1440, 900], [1280, 800]] as const;
const FINDINGS = [186, 12, 777, 40, 3, 91, 250, 301, 402, 515, 600, 7, 88, 1200, 1300, 1400, 1500, 1600, 1700, 1800];
let saeId = 0;

test.beforeAll(() => {
  ({ saeId } = seedCatalog(catalogPath()));
  const catalog = openCatalog(catalogPath());
  try {
    updateSaeMetrics(catalog, saeId, { ce_loss_score: 0.952, kl_div_score: 0.961, explained_variance: 0.861, l0: 31.2, mse: 0.0035, dead_fraction: 0.335, eval_tokens: 4096, eval_predictions: 4064, analysis_tokens: 50_000, analysis_dead_fraction: 0.067, loss: 0.21 });
    const hook = 'blocks.4.hook_resid_post';
    for (const [i, index] of FINDINGS.entries()) {
      logExperiment(catalog, {
        kind: 'audit',
        saeId,
        inputs: { kind: 'audit-finding', model: '/models/tiny', sae: saeId, hook, index, pooling: 'mean', contrastSet: 'gendered', pairs: [{ a: 'he is a nurse', b: 'she is a nurse' }] },
        seed: 0,
        outputs: { hook, index, unitKind: 'sae-feature', meanA: 1, meanB: 0.5, meanDiff: 0.5, cohenD: 1.5 - i * 0.05, t: 4, p: 0.001, q: 0.01, attribution: null, probeWeight: 0, contrastSet: 'gendered', unitsTested: 2500 },
        appVersion: '0.1.0',
      });
    }
    for (const prompt of ['The zebra crossed the road because', 'def parse(self, text):\n    return text']) {
      logExperiment(catalog, {
        kind: 'steering',
        saeId,
        inputs: { model: '/models/tiny', prompt, sae: saeId, topK: 30, capture: [], interventions: [{ hook, kind: 'add', target: { saeFeatures: [777] }, value: 4 }] },
        seed: 0,
        outputs: { kl: 0.0123 },
        appVersion: '0.1.0',
      });
    }
  } finally {
    catalog.close();
  }
});

test('the log says what each row is and filters by kind, SAE and text', async ({ page }) => {
  await page.goto(url());
  await expect(page.getByRole('heading', { name: 'Home', level: 1 })).toBeVisible();
  await page.keyboard.press('Alt+5');
  await expect(page.getByRole('heading', { name: 'Experiment log', level: 1 })).toBeVisible();
  const table = page.getByRole('table', { name: 'Experiment log' });
  const rows = table.locator('tbody tr');
  // The e2e workspace is shared with the other specs, whose runs are logged too: count this SAE's.
  await page.getByLabel('Filter by SAE').selectOption(String(saeId));
  await expect(rows).toHaveCount(22);
  // An audit row: the feature, its label, the SAE's name (not "SAE #1"), the contrast set, the effect.
  const audit = table.locator('tbody tr[data-kind="audit"]').last();
  const label = themeOf(186).name;
  await expect(audit).toContainText('feature 186');
  await expect(audit).toContainText('e2e-topk-2500');
  await expect(audit).toContainText('contrast set gendered');
  await expect(audit).toContainText('d 1.50');
  await expect(audit.getByTestId('exp-about')).toContainText(/“.+”/); // the feature's label, read from the catalog
  expect(label.length).toBeGreaterThan(0);
  await expect(table).not.toContainText('SAE #');
  const abouts = await table.locator('tbody tr[data-kind="audit"] [data-testid="exp-about"]').allTextContents();
  expect(new Set(abouts).size).toBe(FINDINGS.length); // no two rows alike
  // A steering row: the intervention and the prompt excerpt.
  await expect(table.locator('tbody tr[data-kind="steering"]').first()).toContainText('“def parse(self, text): return text”');

  for (const [w, h] of SIZES) {
    await page.setViewportSize({ width: w, height: h });
    await page.screenshot({ path: `test-results/screenshots/experiment-log-${w}x${h}.png` });
  }

  await page.getByLabel('Filter by kind').selectOption('steering');
  await expect(rows).toHaveCount(2);
  await page.getByLabel('Search the log').fill('zebra');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('The zebra crossed');
  await page.getByLabel('Filter by kind').selectOption('audit');
  await expect(page.getByTestId('experiments-none-match')).toBeVisible();
  await page.getByLabel('Search the log').fill('gendered');
  await expect(rows).toHaveCount(20);
  await page.getByLabel('Filter by kind').selectOption('');
  await page.getByLabel('Search the log').fill('');
  await expect(rows).toHaveCount(22);
  await page.getByLabel('Filter by SAE').selectOption('');
  await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(22);
});

test('the Features header shows evaluation and analysis figures with their token counts', async ({ page }) => {
  await page.goto(url());
  await expect(page.getByRole('heading', { name: 'Home', level: 1 })).toBeVisible();
  await page.getByRole('button', { name: /^Features/ }).click();
  await expect(page.getByRole('heading', { name: 'Features', level: 1 })).toBeVisible();
  const figures = page.getByTestId('sae-figures');
  await expect(figures.locator('[data-source="evaluation"]')).toContainText('evaluation over 4,096 tokens:');
  await expect(figures.locator('[data-source="evaluation"]')).toContainText('CE recovered 0.952 · KL score 0.961');
  await expect(figures.locator('[data-source="analysis"]')).toContainText('analysis over 50,000 tokens: dead 6.7%');
  await expect(figures).not.toContainText('33.5');
  await expect(figures).not.toContainText('loss');
  for (const [w, h] of SIZES) {
    await page.setViewportSize({ width: w, height: h });
    await page.screenshot({ path: `test-results/screenshots/features-${w}x${h}.png` });
  }
  await page.locator('[role=option][data-idx]').first().click();
  await expect(page.getByTestId('feature-page')).toBeVisible();
  for (const [w, h] of SIZES) {
    await page.setViewportSize({ width: w, height: h });
    await page.screenshot({ path: `test-results/screenshots/feature-page-${w}x${h}.png` });
  }
});
