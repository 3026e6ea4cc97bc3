// Guarded jobs and errors in words, in Chromium against serve mode: a double press of Train starts
// one job; the form keeps showing that job after a reload; the job list names the SAE it trains;
// a second tab cannot start another writer of the same SAE; the Jobs view charts each metric over
// its own unit with titles in words, labels the evaluation phase and shows the result as a table.
// An empty prompt in the playground is refused in words, and the error goes once the prompt is typed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { mulberry32 } from '../../src/engine/random';
import { addCorpusFolder } from './corpus-folders';

const url = () => process.env.FEATURESCOPE_URL!;
const shot = (name: string) => ({ path: `test-results/screenshots/${name}.png` });

function writeCorpus(): string {
  const words = 'the river ran past the old mill and the children played by the water while their parents talked about the harvest'.split(' ');
  const rand = mulberry32(7);
  const text = Array.from({ length: 4000 }, () => words[Math.floor(rand() * words.length)]!).join(' ');
  const path = join(mkdtempSync(join(tmpdir(), 'featurescope-guard-')), 'corpus.txt');
  writeFileSync(path, text);
  return path;
}

async function jobRows(page: Page, target: string) {
  await page.keyboard.press('Alt+2');
  await expect(page.getByRole('heading', { name: 'Jobs', level: 1 })).toBeVisible();
  return page.locator('tr[data-job-id]').filter({ has: page.getByTestId('job-target').getByText(target, { exact: true }) });
}

test('Train: a double press starts one job, named in the job list; the form re-attaches after a reload', async ({ page, context }) => {
  test.setTimeout(300_000);
  const corpus = writeCorpus();
  await page.goto(url());
  await expect(page.getByTestId('status-engine')).toHaveText('engine ready');
  await addCorpusFolder(page, dirname(corpus));

  const capture = page.getByRole('form', { name: 'Capture activations' });
  await capture.getByLabel('Corpus path').fill(corpus);
  await capture.getByLabel('Name').fill('guard-capture');
  await capture.getByLabel('Max tokens').fill('3000');
  await capture.getByRole('button', { name: 'Capture' }).click();
  await expect(capture.locator('.job-line')).toHaveAttribute('data-state', 'finished', { timeout: 120_000 });

  const form = page.getByRole('form', { name: 'Train an SAE' });
  // The newest complete capture is offered in the store list: take it.
  const store = await form.locator('#captured-stores option').first().getAttribute('value');
  expect(store).toContain('guard-capture');
  await form.getByLabel('Activation store').fill(store!);
  await form.getByLabel('Name').fill('guard-sae');
  await form.getByLabel('d_sae').fill('256');
  await form.getByLabel('k', { exact: true }).fill('8');
  await form.getByLabel('Steps').fill('1500');
  await form.getByLabel('Batch').fill('256');

  await test.step('a double press starts one training', async () => {
    const train = form.getByRole('button', { name: 'Train' });
    await train.dblclick();
    const button = form.locator('button[type=submit]');
    await expect(button).toBeDisabled();
    await expect(button).toHaveText('Training SAE "guard-sae"…');
    await expect(form.locator('.job-line')).toHaveAttribute('data-state', 'running');
    await form.scrollIntoViewIfNeeded();
    await page.screenshot(shot('home-training-running'));
    const rows = await jobRows(page, 'SAE "guard-sae"');
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toHaveAttribute('data-state', 'running');
    await page.screenshot(shot('jobs-training-running'));
  });

  await test.step('after a reload the form shows its running job again', async () => {
    await page.reload();
    await expect(page.getByTestId('status-engine')).toHaveText('engine ready');
    const again = page.getByRole('form', { name: 'Train an SAE' });
    await expect(again.getByLabel('Name')).toHaveValue('guard-sae');
    await expect(again.locator('.job-line')).toHaveAttribute('data-state', 'running');
    await expect(again.locator('button[type=submit]')).toBeDisabled();
    // Its progress carries on in the bar: a phase label with a count of steps.
    await expect(again.getByTestId('progress-label')).toContainText(/\d+ \/ 1500 steps/);
  });

  await test.step('another tab cannot start a second writer of the same SAE', async () => {
    const other = await context.newPage();
    await other.goto(url());
    const otherForm = other.getByRole('form', { name: 'Train an SAE' });
    await otherForm.getByLabel('Name').fill('guard-sae');
    await expect(otherForm.getByTestId('train-busy')).toContainText('SAE "guard-sae" is being written by a running job');
    await expect(otherForm.locator('button[type=submit]')).toBeDisabled();
    await other.close();
  });

  await test.step('the Jobs view: charts over steps titled in words, the evaluation phase labelled, the result as a table', async () => {
    const rows = await jobRows(page, 'SAE "guard-sae"');
    await rows.first().click();
    const detail = page.getByRole('region', { name: 'Job detail' });
    await expect(detail.getByTestId('job-detail-target')).toHaveText('SAE "guard-sae"');
    const loss = detail.locator('[data-metric="loss"]');
    await expect(loss).toHaveAttribute('data-x-unit', 'steps');
    await expect(loss.locator('figcaption')).toHaveText('Training loss');
    await expect(detail.locator('[data-metric="explained_variance"] figcaption')).toHaveText('Explained variance (%)');
    await expect(detail.locator('[data-metric="tokens"]')).toHaveCount(0);
    await page.screenshot(shot('jobs-training-charts'));
    // The end-of-training evaluation counts windows: the bar says so instead of a bare 0 %.
    await expect(detail.getByTestId('job-phase')).toContainText(/evaluating guard-sae \d+ \/ \d+ windows/, { timeout: 180_000 });
    await page.screenshot(shot('jobs-training-evaluating'));
    await expect(rows.first()).toHaveAttribute('data-state', 'finished', { timeout: 180_000 });
    // The charts stay over steps, though the last phase counted windows.
    await expect(loss).toHaveAttribute('data-x-unit', 'steps');
    const result = detail.getByRole('table', { name: 'Job result' });
    await expect(result.getByRole('rowheader', { name: 'Evaluation · Metrics · CE loss score' })).toBeVisible();
    await expect(result.locator('[data-result-key="status"]')).toHaveText('completed');
    await expect(detail).not.toContainText('{"');
    await page.screenshot(shot('jobs-training-finished'));
    await result.scrollIntoViewIfNeeded();
    await page.screenshot(shot('jobs-training-result'));
  });
});

test('an empty prompt is refused in words beside the prompt, and the error goes once it is typed', async ({ page }) => {
  await page.goto(url());
  await expect(page.getByTestId('status-engine')).toHaveText('engine ready');
  await page.keyboard.press('Alt+4');
  const form = page.getByRole('form', { name: 'Run a prompt' });
  await form.getByLabel('Prompt').fill('');
  await form.getByRole('button', { name: 'Run' }).click();
  const error = form.locator('[data-field="prompt"] [role=alert]');
  // The bundled model adds no BOS, so an empty prompt has nothing to start from (a Llama would run from BOS).
  await expect(error).toHaveText(/^The prompt must not be empty/);
  await expect(form.getByLabel('Prompt')).toHaveAttribute('aria-invalid', 'true');
  await expect(form).not.toContainText(/Too small|expected string|model\.run|experiment\.run/);
  await page.screenshot(shot('playground-empty-prompt'));
  await form.getByLabel('Prompt').fill('The cat');
  await expect(error).toHaveCount(0);
  await expect(form.getByLabel('Prompt')).toHaveAttribute('aria-invalid', 'false');

  // New tokens are bounded by the model's context (128 for the bundled model), not the contract's 1024.
  await form.getByLabel('New tokens').fill('500');
  await form.getByRole('button', { name: 'Run' }).click();
  await expect(form.locator('[data-field="generate.maxNewTokens"] [role=alert]')).toContainText('reads at most 128 tokens');
  // Under the context but over what the prompt leaves: the engine says how many are left, at the same field.
  await form.getByLabel('New tokens').fill('127');
  await expect(form.locator('[data-field="generate.maxNewTokens"] [role=alert]')).toHaveCount(0);
  await form.getByRole('button', { name: 'Run' }).click();
  await expect(form.locator('[data-field="generate.maxNewTokens"] [role=alert]')).toHaveText(/^New tokens \(maxNewTokens\) can be at most \d+ here: this model reads at most 128 tokens and the prompt takes \d+\.$/);
  await expect(form.locator('[data-field="prompt"] [role=alert]')).toHaveCount(0);
});
