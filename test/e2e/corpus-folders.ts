import { expect, type Page } from '@playwright/test';

/** The app reads corpora only from the workspace's corpus folders: add one in System, as a user would, then go Home. */
export async function addCorpusFolder(page: Page, folder: string): Promise<void> {
  await page.keyboard.press('Alt+9');
  const panel = page.getByRole('region', { name: 'Corpus folders' });
  await panel.locator('input[name="corpus-folder"]').fill(folder);
  await panel.getByRole('button', { name: 'Add folder' }).click();
  await expect(panel.getByRole('list', { name: 'Corpus folder list' })).toContainText(folder);
  await page.keyboard.press('Alt+1');
}
