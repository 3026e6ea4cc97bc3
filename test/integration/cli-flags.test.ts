// The built CLI's derived flags: --help lists each option with its description, old spellings still
// work, and a bad value is refused (before any engine starts) naming the flag and its rule.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtDir } from './helpers';

const bin = resolve(__dirname, '../../bin/featurescope.js');
const cli = (args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, FEATURESCOPE_HOME: join(builtDir, 'no-such-home') }, timeout: 60_000 });

describe('featurescope flags derived from the contract', () => {
  it('is built', () => expect(existsSync(join(builtDir, 'cli.js'))).toBe(true));

  it('shows every option of train with its description, the old spellings beside the new', () => {
    const r = cli(['train', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: featurescope train --store DIR');
    expect(r.stdout).toMatch(/Options:\n/);
    expect(r.stdout).toMatch(/--batch-size, --batch N +Activations per step \(default 1024\)/);
    expect(r.stdout).toMatch(/--d-sae N +Latents \(features\) of the SAE \(required\)/);
    expect(r.stdout).toMatch(/--l1-coefficient, --l1 X +L1 sparsity penalty/);
    expect(r.stdout).toMatch(/--checkpoint-every N +Steps between checkpoints \(default 200\)/);
  });

  it('refuses a bad value naming the flag and the rule, before starting the engine', () => {
    const bad = cli(['train', '--store', '/tmp/none', '--name', 'a', '--d-sae', 'abc', '--steps', '5']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('featurescope: --d-sae must be an integer from 1 to 1048576, got "abc".\n');
    const arch = cli(['train', '--store', '/tmp/none', '--name', 'a', '--d-sae', '8', '--steps', '5', '--arch', 'nope']);
    expect(arch.stderr).toBe('featurescope: --arch must be one of topk, batchtopk, standard, jumprelu, matryoshka_batchtopk, got "nope".\n');
    const missing = cli(['train', '--store', '/tmp/none', '--name', 'a', '--steps', '5']);
    expect(missing.stderr).toBe('featurescope: --d-sae is required.\n');
    const twice = cli(['train', '--store', '/tmp/none', '--name', 'a', '--d-sae', '8', '--steps', '5', '--batch', '8', '--batch-size', '8']);
    expect(twice.stderr).toBe('featurescope: --batch-size and --batch are the same option; give it once.\n');
  });
});
