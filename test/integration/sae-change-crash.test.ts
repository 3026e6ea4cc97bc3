// A process killed (SIGKILL) in the middle of an SAE delete or rename leaves a state the next engine
// that opens the workspace settles: a change whose catalog commit happened is finished, one whose
// commit did not is undone, so the catalog and the SAE folders agree again. Real child processes:
// the killed one (sae-change-crash-child.ts) and the built CLI whose engine opens the workspace after.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SaeSummary } from '../../src/shared/contract';
import { makeWorkspace, readCatalog, runCli, type Workspace } from './leases-helpers';

const CHILD = resolve(__dirname, 'sae-change-crash-child.ts');

let ws: Workspace | undefined;
afterEach(() => {
  ws?.dispose();
  ws = undefined;
});

async function workspaceWithSae(): Promise<{ workspace: string; id: number }> {
  ws = makeWorkspace([]);
  await runCli(ws, ['import', '--path', join(ws.home, 'sae-weights'), '--name', 's1']);
  const workspace = join(ws.home, 'workspaces', 'default');
  // A training leaves its checkpoints beside the SAE: they are the SAE's too.
  mkdirSync(join(workspace, 'checkpoints', 's1'), { recursive: true });
  writeFileSync(join(workspace, 'checkpoints', 's1', 'step-100.safetensors'), 'checkpoint');
  const id = readCatalog(ws, (db) => db.prepare(`SELECT id FROM saes WHERE name = 's1'`).pluck().get() as number);
  return { workspace, id };
}

function killedDuring(workspace: string, args: string[]): void {
  // tsx as a loader in this very process (its CLI would run the script in a grandchild), so the signal is seen here.
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, workspace, ...args], { encoding: 'utf8', timeout: 120_000, cwd: resolve(__dirname, '../..') });
  expect(r.signal, r.stderr).toBe('SIGKILL');
}

/** The next process on the workspace: its engine opens the catalog (and settles) before it answers. */
async function names(): Promise<string[]> {
  return (JSON.parse((await runCli(ws!, ['saes', 'list', '--json'])).stdout()) as SaeSummary[]).map((s) => s.name);
}

const pending = (workspace: string) => join(workspace, 'saes', '.pending');

describe('an SAE delete or rename killed halfway is settled by the next open', () => {
  it('delete killed before its commit: the SAE and its folders are back', async () => {
    const { workspace, id } = await workspaceWithSae();
    killedDuring(workspace, ['delete', 'before', String(id)]);
    expect(existsSync(join(workspace, 'saes', 's1'))).toBe(false); // moved aside when it died
    expect(readdirSync(pending(workspace))).toHaveLength(1);
    expect(await names()).toEqual(['s1']);
    expect(existsSync(join(workspace, 'saes', 's1', 'cfg.json'))).toBe(true);
    expect(existsSync(join(workspace, 'checkpoints', 's1', 'step-100.safetensors'))).toBe(true);
    expect(existsSync(pending(workspace))).toBe(false);
    // and it runs again
    await runCli(ws!, ['saes', 'delete', '--sae', 's1']);
    expect(await names()).toEqual([]);
  }, 300_000);

  it('delete killed after its commit: the folders are removed', async () => {
    const { workspace, id } = await workspaceWithSae();
    killedDuring(workspace, ['delete', 'after', String(id)]);
    expect(readCatalog(ws!, (db) => db.prepare(`SELECT count(*) FROM saes`).pluck().get())).toBe(0);
    expect(readdirSync(pending(workspace))).toHaveLength(1);
    expect(await names()).toEqual([]);
    expect(existsSync(pending(workspace))).toBe(false);
    expect(existsSync(join(workspace, 'saes', 's1'))).toBe(false);
    expect(existsSync(join(workspace, 'checkpoints', 's1'))).toBe(false);
  }, 300_000);

  it('rename killed before its commit is undone; killed after it, finished', async () => {
    const { workspace, id } = await workspaceWithSae();
    killedDuring(workspace, ['rename', 'before', String(id), 'fox']);
    expect(existsSync(join(workspace, 'saes', 'fox'))).toBe(true); // moved when it died, row not renamed
    expect(await names()).toEqual(['s1']);
    expect(existsSync(join(workspace, 'saes', 's1', 'cfg.json'))).toBe(true);
    expect(existsSync(join(workspace, 'saes', 'fox'))).toBe(false);

    // Killed after the commit, before its note was cleared: the folders stay where the renamed row says.
    killedDuring(workspace, ['rename', 'after', String(id), 'fox']);
    expect(await names()).toEqual(['fox']);
    expect(existsSync(join(workspace, 'saes', 'fox', 'cfg.json'))).toBe(true);
    expect(existsSync(join(workspace, 'checkpoints', 'fox', 'step-100.safetensors'))).toBe(true);
    expect(existsSync(join(workspace, 'saes', 's1'))).toBe(false);
    expect(existsSync(pending(workspace))).toBe(false);
    expect(readCatalog(ws!, (db) => db.prepare(`SELECT weights_path FROM saes`).pluck().get())).toBe(join(workspace, 'saes', 'fox'));
  }, 300_000);
});
