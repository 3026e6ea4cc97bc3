// The weight-sparse training form, in Chromium against serve mode: a small model trained from a
// corpus in an added folder with the bundled model's tokenizer; the Jobs view charts its losses,
// nonzero fraction and alive neurons per layer in words, and the trained folder is listed as a model.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, test } from '@playwright/test';
import { mulberry32 } from '../../src/engine/random';
import { addCorpusFolder } from './corpus-folders';

const url = () => process.env.FEATURESCOPE_URL!;

function writeCorpus(): string {
  const words = 'def main ( self ) : return value if the list is empty else None for item in items'.split(' ');
  const rand = mulberry32(11);
  const text = Array.from({ length: 6000 }, () => words[Math.floor(rand() * words.length)]!).join(' ');
  const path = join(mkdtempSync(join(tmpdir(), 'featurescope-sparse-')), 'corpus.txt');
  writeFileSync(path, text);
  return path;
}

test('Train a weight-sparse model: the job charts its figures in words and the model is listed', async ({ page }) => {
  test.setTimeout(300_000);
  const corpus = writeCorpus();
  await page.goto(url());
  await expect(page.getByTestId('status-engine')).toHaveText('engine ready');
  await addCorpusFolder(page, dirname(corpus));

  const form = page.getByRole('form', { name: 'Train a weight-sparse model' });
  await form.getByLabel('Corpus path').fill(corpus);
  await form.getByLabel('Name').fill('e2e-sparse');
  await form.getByLabel('d_model').fill('32');
  await form.getByLabel('Heads').fill('2');
  await form.getByLabel('Steps').fill('20');
  await form.getByLabel('Nonzero fraction').fill('1/16');
  await form.getByLabel('AbsTopK (optional)').fill('1/4');
  await form.getByRole('button', { name: 'Train sparse model' }).click();
  await expect(form.locator('.job-line')).toHaveAttribute('data-state', 'finished', { timeout: 240_000 });

  await expect(page.getByRole('table', { name: 'Model list' })).toContainText('e2e-sparse');

  await page.keyboard.press('Alt+2');
  const row = page.locator('tr[data-job-id]').filter({ has: page.getByTestId('job-target').getByText('weight-sparse model "e2e-sparse"', { exact: true }) });
  await row.first().click();
  const detail = page.getByRole('region', { name: 'Job detail' });
  await expect(detail.locator('[data-metric="trainLoss"] figcaption')).toHaveText('Training loss (nats/token)');
  await expect(detail.locator('[data-metric="nonzeroFraction"] figcaption')).toHaveText('Nonzero weights (% of sparsified matrices)');
  await expect(detail.locator('[data-metric="alive_L1"] figcaption')).toHaveText('Alive MLP neurons, layer 1 (neurons)');
  await page.screenshot({ path: 'test-results/screenshots/sparse-train-job.png' });
});
