// The second bundled model in the app: Get started offers stories260K beside featurescope-tiny
// (the default stays selected; each says what it is), and the playground generates from BOS
// alone when the prompt is empty, reproducing the start of the published greedy sample.
import { expect, test } from '@playwright/test';
import { type ServeProcess, startServe } from './serve-process';

// Get started shows only in a workspace with no SAE: a serve of its own on a fresh home.
let serve: ServeProcess | undefined;
let url = '';

test.beforeAll(async () => {
  serve = await startServe('featurescope-stories-');
  url = serve.url;
});

test.afterAll(async () => {
  await serve?.stop();
});

test('Get started offers stories260K next to featurescope-tiny; the playground samples it from BOS', async ({ page }) => {
  await page.goto(url);
  await expect(page.getByTestId('status-engine')).toHaveText('engine ready');
  const panel = page.getByRole('region', { name: 'Get started' });
  const choice = panel.getByRole('radiogroup', { name: 'Model to start with' });
  const tiny = choice.getByRole('radio', { name: /featurescope-tiny/ });
  const stories = choice.getByRole('radio', { name: /stories260K/ });
  await expect(tiny).toBeChecked();
  await expect(choice).toContainText('A small GPT-2 the project trains itself');
  await expect(choice).toContainText('TinyStories');
  await expect(panel.locator('.intro')).toContainText('featurescope-tiny');
  await stories.check();
  await expect(panel.locator('.intro')).toContainText('stories260K');
  // stories260K has 5 layers: the default hook moves with the model.
  await expect(panel.locator('li[data-step="capture"] .step-title')).toContainText('blocks.');
  await expect(panel.locator('li[data-step="train"] .step-title')).toContainText('d_sae 256');
  await page.screenshot({ path: 'test-results/screenshots/home-get-started-models.png' });

  await page.keyboard.press('Alt+4');
  const form = page.getByRole('form', { name: 'Run a prompt' });
  await form.locator('select[name="pg-model"]').selectOption({ label: 'stories260K · 5L d64' });
  await form.getByLabel('Prompt').fill('');
  await form.getByLabel('New tokens').fill('40');
  await form.getByRole('button', { name: 'Run' }).click();
  await expect(page.getByTestId('continuation-baseline')).toContainText('Once upon a time, there was a little girl named Lily.', { timeout: 60_000 });
});
