// Where the engine writes what the user named (exports, report copies): a browser only into the
// workspace, the CLI anywhere it typed; nothing existing is replaced without force.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkCorpusAccess } from '../../../src/engine/capture/corpus-access';
import { checkOutputFile, checkOutputFolder } from '../../../src/engine/handlers/output-path';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'fs-output-path-')));
const workspace = join(root, 'workspace');
const elsewhere = join(root, 'elsewhere');
mkdirSync(workspace);
mkdirSync(elsewhere);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const thrown = (f: () => unknown): Error & { field?: string } => {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a refusal');
};

describe('checkOutputFile / checkOutputFolder', () => {
  const browser = { caller: 'browser' as const, workspace, force: false, field: 'path' };
  const cli = { ...browser, caller: 'cli' as const };

  it('a browser writes only inside the workspace (links followed); the CLI anywhere', () => {
    expect(thrown(() => checkOutputFile(join(elsewhere, 'a.csv'), browser)).message).toContain(`${join(elsewhere, 'a.csv')} is outside the workspace`);
    symlinkSync(elsewhere, join(workspace, 'link'));
    expect(thrown(() => checkOutputFile(join(workspace, 'link', 'a.csv'), browser)).message).toContain('is outside the workspace');
    expect(checkOutputFile(join(elsewhere, 'a.csv'), cli)).toBe(join(elsewhere, 'a.csv'));
    // Its own exports folder is made for it.
    expect(checkOutputFile(join(workspace, 'exports', 'a.csv'), browser)).toBe(join(workspace, 'exports', 'a.csv'));
  });

  it('an existing file or non-empty folder is refused without force and accepted with it', () => {
    writeFileSync(join(elsewhere, 'old.csv'), 'x');
    const e = thrown(() => checkOutputFile(join(elsewhere, 'old.csv'), cli));
    expect(e.message).toContain('already exists; nothing was written. Pass --force');
    expect(e.field).toBe('path');
    expect(checkOutputFile(join(elsewhere, 'old.csv'), { ...cli, force: true })).toBe(join(elsewhere, 'old.csv'));
    mkdirSync(join(elsewhere, 'full'));
    writeFileSync(join(elsewhere, 'full', 'cfg.json'), '{}');
    expect(thrown(() => checkOutputFolder(join(elsewhere, 'full'), cli)).message).toContain('exists and is not empty');
    expect(checkOutputFolder(join(elsewhere, 'full'), { ...cli, force: true })).toBe(join(elsewhere, 'full'));
    expect(thrown(() => checkOutputFile(join(elsewhere, 'missing', 'a.csv'), cli)).message).toContain(`folder ${join(elsewhere, 'missing')} does not exist`);
  });
});

describe('checkCorpusAccess', () => {
  it('the CLI reads anything; a browser only inside a listed folder, by its resolved path', () => {
    writeFileSync(join(elsewhere, 'secret.txt'), 'root:x:0:0');
    const spec = { kind: 'txt' as const, path: join(elsewhere, 'secret.txt') };
    expect(checkCorpusAccess(spec, 'cli', [])).toBe(spec);
    expect(thrown(() => checkCorpusAccess(spec, 'browser', [workspace])).message).toContain(`${spec.path} is not inside a corpus folder of this workspace (${workspace})`);
    expect(checkCorpusAccess(spec, 'browser', [elsewhere])).toEqual(spec);
    // A folder whose name merely starts like a listed one is not inside it.
    mkdirSync(`${elsewhere}2`);
    writeFileSync(join(`${elsewhere}2`, 'b.txt'), 'b');
    expect(thrown(() => checkCorpusAccess({ kind: 'txt', path: join(`${elsewhere}2`, 'b.txt') }, 'browser', [elsewhere])).message).toContain('is not inside a corpus folder');
  });
});
