import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { type ServeProcess, startServe } from './serve-process';
import { addCorpusFolder } from './corpus-folders';

// The first-run path needs a workspace with no SAE, which the shared server no longer has once other
// specs seeded one: this spec starts its own `featurescope serve` on a fresh home.
let serve: ServeProcess | undefined;
let url = '';

test.beforeAll(async () => {
  serve = await startServe('featurescope-first-run-');
  url = serve.url;
});

test.afterAll(async () => {
  await serve?.stop();
});

test('first run: Get started captures, trains and analyses the bundled model step by step', async ({ page }) => {
  test.setTimeout(300_000);
  const words = 'the river ran past the old mill and the children played by the water while their parents talked about the harvest and the weather in the valley'.split(' ');
  const text = Array.from({ length: 1500 }, (_, i) => words[(i * 7 + (i >> 3)) % words.length]).join(' ');
  const corpus = join(serve!.home, 'corpus.txt');
  writeFileSync(corpus, text);

  await page.goto(url);
  await expect(page.getByTestId('status-engine')).toHaveText('engine ready');
  const panel = page.getByRole('region', { name: 'Get started' });
  await expect(panel).toContainText('featurescope-tiny');
  const steps = panel.locator('li[data-step]');
  await expect(panel.getByRole('button', { name: 'Train' })).toBeDisabled();
  await expect(panel.getByRole('button', { name: 'Analyse' })).toBeDisabled();
  await expect(page.getByRole('region', { name: 'SAEs' })).toContainText('No SAE yet');
  // With no SAE, the Features view says what to do next (this workspace is the only one surely empty).
  await page.keyboard.press('Alt+3');
  await expect(page.getByTestId('features-empty')).toContainText('train or import an SAE, then analyse it');
  await page.keyboard.press('Alt+1');

  // A corpus outside the workspace's corpus folders is refused, naming the way in.
  await panel.getByLabel('Corpus path').fill(corpus);
  await panel.getByRole('button', { name: 'Capture' }).click();
  await expect(steps.nth(0).locator('.job-line')).toHaveAttribute('data-state', 'failed');
  await expect(steps.nth(0)).toContainText('not inside a corpus folder');
  await addCorpusFolder(page, serve!.home);

  // A corpus that is not there is pointed at beside the corpus field.
  await panel.getByLabel('Corpus path').fill(join(serve!.home, 'missing.txt'));
  await panel.getByRole('button', { name: 'Capture' }).click();
  await expect(steps.nth(0).locator('.job-line')).toHaveAttribute('data-state', 'failed');
  await expect(steps.nth(0)).toContainText('missing.txt');
  await expect(panel.getByRole('button', { name: 'Train' })).toBeDisabled();

  await panel.getByLabel('Corpus path').fill(corpus);
  await panel.getByRole('button', { name: 'Capture' }).click();
  await expect(steps.nth(0).locator('.job-line')).toHaveAttribute('data-state', 'finished', { timeout: 120_000 });
  await panel.getByRole('button', { name: 'Train' }).click();
  await expect(steps.nth(1).locator('.job-line')).toHaveAttribute('data-state', 'finished', { timeout: 180_000 });
  // Training ends with the SAE spliced into the model: its figures are shown under the step.
  // Each line says where its figures come from (#18 finding 3): the last training batch, the evaluation over N tokens.
  await expect(steps.nth(1).getByTestId('trained-figures').locator('[data-source="training"]')).toContainText(/training, last batch of 256 tokens: explained variance -?\d\.\d{3} · L0 \d+\.\d/);
  await expect(steps.nth(1).getByTestId('trained-figures').locator('[data-source="evaluation"]')).toContainText(/evaluation over [\d,]+ tokens: CE recovered -?\d\.\d{3} · KL score -?\d\.\d{3}/);
  // The panel stays while its flow runs, though the workspace now has an SAE.
  await panel.getByRole('button', { name: 'Analyse' }).click();
  await expect(steps.nth(2).locator('.job-line')).toHaveAttribute('data-state', 'finished', { timeout: 180_000 });
  await expect(page.locator('tr[data-sae-name="first-sae"]').getByTestId('analysis-state')).toContainText('features');
  await page.screenshot({ path: 'test-results/screenshots/home-first-run-done.png' });
  await panel.getByRole('button', { name: 'Open its features →' }).click();
  await expect(page.getByRole('heading', { name: 'Features', level: 1 })).toBeVisible();

  // Search the fresh catalog and open a feature: its page shows real top examples.
  await page.getByLabel('Search features').fill('def');
  const hits = page.locator('[role=option][data-idx]');
  await expect(hits.first()).toBeVisible();
  await page.getByLabel('Search features').press('Enter');
  const featurePage = page.getByTestId('feature-page');
  await expect(featurePage).toHaveAttribute('data-idx', /^\d+$/);
  await expect(page.getByTestId('top-examples').locator('.fp-example').first()).toBeVisible();

  // With an analysis, steering strength is in units of the feature's max activation (one catalog.search row).
  await page.keyboard.press('Alt+4');
  const form = page.getByRole('form', { name: 'Run a prompt' });
  await form.getByLabel('SAE (optional)').selectOption({ label: 'first-sae · blocks.2.hook_resid_post · 512' });
  await form.getByLabel('Probe kind').selectOption('feature');
  await form.getByLabel('Probe index').fill('0');
  await form.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByTestId('token-heat').first()).toHaveAttribute('data-probe', 'feature 0');
  const edits = page.locator('[aria-label="SAE feature edits"]');
  await edits.getByLabel('Feature').fill('0');
  await edits.getByRole('button', { name: 'Add' }).click();
  await expect(edits.getByTestId('feature-edit')).toContainText(/× max \d/);
  const slider = page.getByLabel('Steering strength of feature 0');
  await slider.focus();
  await page.keyboard.press('End');
  await expect(page.getByTestId('steer-strength')).toHaveText('+10.00');
  await expect(page.getByTestId('kl')).toBeVisible();
  expect(Number(await page.getByTestId('kl').textContent())).toBeGreaterThan(0);
  await expect(page.getByTestId('cite-id')).toHaveText(/^exp-\d{6,}$/);
  // Steering at 10× the feature's max activation changes what the model generates.
  expect(await page.getByTestId('continuation-intervened').textContent()).not.toBe(await page.getByTestId('continuation-baseline').textContent());
  const steered = (await page.getByTestId('cite-id').textContent())!;

  // An MLP-neuron ablation on top moves the distribution further: the KL shown changes.
  const klSteered = Number(await page.getByTestId('kl').textContent());
  const ablations = page.locator('[aria-label="MLP neuron ablations"]');
  await ablations.getByLabel('Layer').selectOption('3');
  await ablations.getByLabel(/^Neurons/).fill('0-255');
  await ablations.getByRole('button', { name: 'Add' }).click();
  await expect(page.getByTestId('cite-id')).not.toHaveText(steered);
  expect(Number(await page.getByTestId('kl').textContent())).not.toBe(klSteered);

  // The steered run replays from the experiment log and matches.
  await page.keyboard.press('Alt+5');
  await page.getByRole('table', { name: 'Experiment log' }).locator(`tbody tr[data-cite="${steered}"]`).click();
  await page.getByRole('button', { name: 'Replay' }).click();
  await expect(page.getByTestId('replay-verdict')).toHaveText('matches', { timeout: 60_000 });
});
