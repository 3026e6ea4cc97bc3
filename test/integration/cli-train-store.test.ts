// Issue #18, finding 10: `train --store` names an activation store, and its errors say so. It used to
// answer "Model folder /nope does not exist" for a missing store. The real CLI on the built engine.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtDir } from './helpers';

const BIN = resolve(__dirname, '../../bin/featurescope.js');
let home: string;

function train(store: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'train', '--store', store, '--name', 'x', '--d-sae', '64', '--k', '4', '--steps', '10'], {
    env: { ...process.env, FEATURESCOPE_HOME: home },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(builtDir, 'cli.js'))) throw new Error('Build first: npx electron-vite build (these tests run the built CLI).');
  home = mkdtempSync(join(tmpdir(), 'featurescope-train-store-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('train --store errors', () => {
  it('a folder that does not exist is named as a missing activation store, with where to find the stores', () => {
    const missing = join(home, 'nope');
    const r = train(missing);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`store: no activation store at ${missing}: the folder does not exist (\`featurescope captures\` lists the stores of this workspace).`);
    expect(r.stderr).not.toMatch(/model folder/i);
  }, 180_000);

  it('a capture folder given instead of its hook store names the stores inside it', () => {
    const capture = join(home, 'cap');
    mkdirSync(join(capture, 'blocks.0.hook_resid_post'), { recursive: true });
    writeFileSync(join(capture, 'blocks.0.hook_resid_post', 'manifest.json'), '{}');
    const r = train(capture);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`store: ${capture} is a capture with one store per hook; give one of them: ${join(capture, 'blocks.0.hook_resid_post')}.`);
  }, 180_000);

  it('a folder that is no store says what it lacks', () => {
    const empty = join(home, 'empty');
    mkdirSync(empty);
    const r = train(empty);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`store: ${empty} is not an activation store (it has no manifest.json;`);
  }, 180_000);
});
