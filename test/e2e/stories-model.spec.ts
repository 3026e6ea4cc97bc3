// The second bundled model in the app: Get started offers stories260K beside featurescope-tiny
// (the default stays selected; each says what it is), and the playground generates from BOS
// alone when the prompt is empty, reproducing the start of the published greedy sample.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from '@playwright/test';

// Get started shows only in a workspace with no SAE: a serve of its own on a fresh home.
let child: ChildProcess | undefined;
let home = '';
let url = '';

test.beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'featurescope-stories-'));
  const bin = resolve(__dirname, '../../bin/featurescope.js');
  const proc = spawn(process.execPath, [bin, 'serve'], { env: { ...process.env, FEATURESCOPE_HOME: home }, stdio: ['ignore', 'pipe', 'inherit'] });
  child = proc;
  url = await new Promise<string>((ok, fail) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.exec(out);
      if (m) ok(m[0]);
    });
    proc.on('exit', (code) => fail(new Error(`featurescope serve exited with ${code}:\n${out}`)));
  });
});

test.afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
  }
  rmSync(home, { recursive: true, force: true });
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
