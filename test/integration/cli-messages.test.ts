// Issue #19, finding 10: every message names the path and the cause. The real CLI
// (node bin/featurescope.js, the built engine) on real file systems: a read-only home and a
// read-only workspace are read-only bind mounts, a full disk is a small tmpfs — each inside a
// private mount namespace (`unshare -m`, as root), so nothing outlives the test. Where that is not
// possible (not root, no unshare) those cases are skipped and say so; the rest always run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtDir } from './helpers';

const BIN = resolve(__dirname, '../../bin/featurescope.js');
const NPZ = resolve(__dirname, '../fixtures/formats/params_stored.npz');
const HOOK = 'blocks.0.hook_resid_post';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(home: string, args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, FEATURESCOPE_HOME: home }, encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `script` (sh) in a private mount namespace; FS=… lines it prints become fields. */
function inMountNamespace(script: string, env: Record<string, string>): Run {
  const r = spawnSync('unshare', ['-m', 'sh', '-c', script], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 600_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const canMount = (() => {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    const d = mkdtempSync(join(tmpdir(), 'featurescope-mnt-probe-'));
    execFileSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs -o size=64k tmpfs ${d} && mount -o remount,ro ${d}`], { stdio: 'ignore' });
    rmSync(d, { recursive: true, force: true });
    return true;
  } catch {
    return false;
  }
})();

let scratch: string;
beforeAll(() => {
  if (!existsSync(join(builtDir, 'cli.js'))) throw new Error('Build first: npx electron-vite build (these tests run the built CLI).');
  scratch = mkdtempSync(join(tmpdir(), 'featurescope-cli-messages-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A corpus of `lines` lines of plain words. */
function corpus(name: string, lines: number): string {
  const words = 'the cat sat on a mat while dogs ran over hills and rivers flowed to the sea'.split(' ');
  const path = join(scratch, name);
  writeFileSync(path, Array.from({ length: lines }, (_, i) => Array.from({ length: 12 }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(' ')).join('\n'));
  return path;
}

describe('CLI messages name the path and the cause', () => {
  it('an empty or BOM-only corpus is refused naming the file, not captured as 0 tokens', () => {
    const home = mkdtempSync(join(scratch, 'home-'));
    for (const [name, bytes] of [['empty.txt', Buffer.alloc(0)], ['bom.txt', Buffer.from([0xef, 0xbb, 0xbf])]] as const) {
      const path = join(scratch, name);
      writeFileSync(path, bytes);
      const r = cli(home, ['capture', '--corpus', path, '--hook', HOOK, '--name', name.replace('.txt', '')]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`${path}: no text: 0 tokens`);
      expect(r.stdout).not.toContain('tokens in');
      expect(existsSync(join(home, 'workspaces', 'default', 'activations', name.replace('.txt', '')))).toBe(false);
    }
  }, 300_000);

  it('a params.npz imported without its hook is refused before any folder is made', () => {
    const home = mkdtempSync(join(scratch, 'home-'));
    const r = cli(home, ['import', '--path', NPZ, '--name', 'gs']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${NPZ}: a Gemma Scope params.npz does not record which model and hook it reads; pass --hook NAME`);
    const saes = join(home, 'workspaces', 'default', 'saes');
    expect(existsSync(saes) ? readdirSync(saes) : []).toEqual([]);
    // With both names it imports.
    const ok = cli(home, ['import', '--path', NPZ, '--name', 'gs', '--hook', HOOK, '--model-name', 'fixture']);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain(`at ${HOOK}`);
  }, 300_000);
});

describe.skipIf(!canMount)('read-only and full file systems (mounts in a private namespace; needs root and unshare)', () => {
  it('a read-only home says which folder could not be made and why, with FEATURESCOPE_HOME as the way out; run still works', () => {
    const ro = mkdtempSync(join(scratch, 'ro-home-'));
    const home = join(ro, 'featurescope');
    const text = corpus('ro-home.txt', 50);
    const r = inMountNamespace(
      `mount --bind "$RO" "$RO" && mount -o remount,bind,ro "$RO" || exit 90
       FEATURESCOPE_HOME="$HOME_DIR" "$NODE" "$BIN" capture --corpus "$TEXT" --hook ${HOOK} --name x; echo "CAPTURE=$?"
       FEATURESCOPE_HOME="$HOME_DIR" "$NODE" "$BIN" run --prompt "the cat" >/dev/null; echo "RUN=$?"`,
      { RO: ro, HOME_DIR: home, NODE: process.execPath, BIN, TEXT: text },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('CAPTURE=1');
    expect(r.stderr).toContain(`Cannot create the folder ${home}: ${ro} is on a read-only file system.`);
    expect(r.stderr).toContain('set FEATURESCOPE_HOME to a writable folder');
    expect(r.stderr).not.toMatch(/ENOENT/);
    expect(r.stdout).toContain('RUN=0');
  }, 600_000);

  it('a read-only workspace names the catalog file and says it is read-only; run, which only reads, works', () => {
    const home = mkdtempSync(join(scratch, 'ro-ws-'));
    // Make the workspace (catalog and all), then mount it read-only.
    expect(cli(home, ['import', '--path', NPZ, '--name', 'gs', '--hook', HOOK, '--model-name', 'fixture']).status).toBe(0);
    const catalog = join(home, 'workspaces', 'default', 'catalog.sqlite');
    const r = inMountNamespace(
      `mount --bind "$H" "$H" && mount -o remount,bind,ro "$H" || exit 90
       FEATURESCOPE_HOME="$H" "$NODE" "$BIN" run --prompt "the cat" >/dev/null; echo "RUN=$?"
       FEATURESCOPE_HOME="$H" "$NODE" "$BIN" import --path "$NPZ" --name gs2 --hook ${HOOK} --model-name fixture; echo "IMPORT=$?"`,
      { H: home, NODE: process.execPath, BIN, NPZ },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('RUN=0');
    expect(r.stdout).toContain('IMPORT=1');
    expect(r.stderr).toContain(`featurescope: The workspace catalog ${catalog} is read-only (it is on a read-only file system)`);
    expect(r.stderr).not.toContain('attempt to write a readonly database');
  }, 600_000);

  it('a full disk says how much space is needed where; the same capture resumes once there is room', () => {
    const home = mkdtempSync(join(scratch, 'full-'));
    const text = corpus('full.txt', 3000);
    const store = join(home, 'workspaces', 'default', 'activations', 'full', HOOK);
    const r = inMountNamespace(
      `mount -t tmpfs -o size=1m tmpfs "$H" || exit 90
       FEATURESCOPE_HOME="$H" "$NODE" "$BIN" capture --corpus "$TEXT" --hook ${HOOK} --name full --max-tokens 4000; echo "FIRST=$?"
       mount -o remount,size=16m "$H" || exit 91
       FEATURESCOPE_HOME="$H" "$NODE" "$BIN" capture --corpus "$TEXT" --hook ${HOOK} --name full --max-tokens 4000; echo "SECOND=$?"`,
      { H: home, NODE: process.execPath, BIN, TEXT: text },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('FIRST=1');
    expect(r.stderr).toMatch(new RegExp(`No space left on the disk of ${store.replace(/[.]/g, '\\.')} \\([\\d.]+ KiB free\\): shard-000000\\.safetensors needs [\\d.]+ MiB`));
    expect(r.stderr).toContain('run the same capture again to resume from there');
    expect(r.stdout).toContain('SECOND=0');
    expect(r.stdout).toContain(`${HOOK}: 4000 tokens in 1 shards`);
  }, 600_000);
});

