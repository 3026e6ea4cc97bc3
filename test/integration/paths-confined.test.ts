// Issue #19, finding 5: paths are confined. A browser caller (serve mode's WebSocket, the Electron
// window) reads corpora only from the workspace's corpus folders and writes only into the
// workspace; the CLI reads and writes where its user typed; nothing existing is overwritten
// without force; errors never quote file contents. The real host and engine process, real files.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { beginAnalysis, commitAnalysis, insertSae, openCatalog } from '../../src/catalog';
import { writeFeatures } from '../../src/catalog';
import type { Host } from '../../src/host/host';
import { runJob } from '../../src/host/run-job';
import { typedCall } from '../../src/shared/call';
import type { CommandInput, JobCommandName } from '../../src/shared/contract';
import type { CommandError } from '../../src/shared/errors';
import { startTestHost } from './helpers';

const MODEL = resolve(__dirname, '../fixtures/models/gpt2');
const NPZ = resolve(__dirname, '../fixtures/formats/params_stored.npz');
const HOOK = 'blocks.1.hook_resid_post';

/** The same host as seen by a browser: every call carries the 'browser' caller kind, as the serve and IPC adapters send it. */
const asBrowser = (host: Host): Host => ({
  ...host,
  call: (command, input) => host.call(command, input, 'browser'),
  callUntrusted: (command, input) => host.callUntrusted(command, input, 'browser'),
});

/** The host as a transport that forgot to say who is calling: callUntrusted with no caller at all. */
const callerOmitted = (host: Host): Host => ({ ...host, call: typedCall((command, input) => host.callUntrusted(command, input)) });

async function jobError<C extends JobCommandName>(host: Host, command: C, input: CommandInput<C>): Promise<CommandError> {
  try {
    await runJob(host, command, input);
  } catch (err) {
    return { code: (err as { code: CommandError['code'] }).code, message: (err as Error).message, field: (err as { field?: string }).field };
  }
  throw new Error(`${command} succeeded; a refusal was expected`);
}

async function callError(host: Host, command: string, input: unknown, caller?: 'cli' | 'browser'): Promise<CommandError> {
  const r = await host.callUntrusted(command, input, caller);
  if (r.ok) throw new Error(`${command} succeeded; a refusal was expected`);
  return r.error;
}

describe('paths are confined for browser callers, and nothing is overwritten unasked', () => {
  let host: Host;
  let browser: Host;
  let home: string;
  let workspace: string;
  let dispose: () => Promise<void>;
  let outside: string; // a folder the user never added: stands in for /etc
  let corpora: string; // the folder the user adds
  let saeId: number;

  beforeAll(async () => {
    ({ host, home, dispose } = await startTestHost());
    browser = asBrowser(host);
    workspace = join(home, 'workspaces', 'default');
    outside = realpathSync(mkdtempSync(join(tmpdir(), 'featurescope-outside-')));
    writeFileSync(join(outside, 'passwd.txt'), 'root:x:0:0:root:/root:/bin/bash\nsecret-token-4711\n'.repeat(40));
    corpora = realpathSync(mkdtempSync(join(tmpdir(), 'featurescope-corpora-')));
    writeFileSync(join(corpora, 'text.txt'), Array.from({ length: 300 }, (_, i) => `the quick brown fox ${i} jumps over the lazy dog.`).join('\n'));
    // A link inside an added folder that leads out of it.
    symlinkSync(join(outside, 'passwd.txt'), join(corpora, 'linked.txt'));

    // An analysed SAE to export (catalog rows seeded as the engine writes them).
    const writer = openCatalog(host.paths.catalog);
    saeId = insertSae(writer, {
      name: 'seeded',
      modelId: null,
      hookName: HOOK,
      architecture: 'topk',
      dIn: 4,
      dSae: 2,
      cfg: {},
      metrics: {},
      provenance: { model: 'm', hook: HOOK, corpus: null, seed: 1, appVersion: '0.1.0', createdAt: 1 },
      weightsPath: '/nonexistent',
    });
    const analysis = beginAnalysis(writer, { saeId, corpusId: null });
    writeFeatures(writer, analysis, [
      { idx: 0, density: 0.1, maxAct: 2, meanAct: 1, histogram: { scale: 'linear', lo: 0, hi: 2, counts: [1] }, examples: [], logitEffects: { promoted: [], suppressed: [] } },
      { idx: 1, density: 0.2, maxAct: 3, meanAct: 1, histogram: { scale: 'linear', lo: 0, hi: 3, counts: [1] }, examples: [], logitEffects: { promoted: [], suppressed: [] } },
    ]);
    commitAnalysis(writer, analysis);
    writer.close();
  }, 180_000);
  afterAll(() => dispose());

  it('a browser cannot capture a file outside the corpus folders (/etc/passwd, a stand-in, a link out of an added folder)', async () => {
    const capture = (path: string, name: string): CommandInput<'capture.start'> => ({ model: MODEL, corpus: { kind: 'txt', path }, hooks: [HOOK], name, contextLength: 16, maxTokens: 64 });
    const etc = await jobError(browser, 'capture.start', capture('/etc/passwd', 'etc'));
    expect(etc).toMatchObject({ code: 'invalid_input', field: 'corpus.path' });
    expect(etc.message).toContain('/etc/passwd is not inside a corpus folder of this workspace (none added yet)');
    expect(etc.message).not.toContain('root:x');
    // Refused before the capture made anything.
    expect(existsSync(join(workspace, 'activations', 'etc'))).toBe(false);

    expect((await jobError(browser, 'capture.start', capture(join(outside, 'passwd.txt'), 'outside'))).message).toContain('is not inside a corpus folder');
    const listed = await browser.call('workspace.addCorpusFolder', { path: corpora });
    expect(listed).toMatchObject({ ok: true, value: [{ path: corpora }] });
    expect((await jobError(browser, 'capture.start', capture(join(corpora, 'linked.txt'), 'linked'))).message).toContain('is not inside a corpus folder');

    // Inside an added folder the browser's capture runs.
    const ok = await runJob(browser, 'capture.start', capture(join(corpora, 'text.txt'), 'inside'));
    expect(ok.tokens).toBe(64);
    // Analyse and evaluate read corpora by the same rule.
    const analyze = await jobError(browser, 'sae.analyze', { saeId, corpus: { kind: 'txt', path: join(outside, 'passwd.txt') }, model: MODEL });
    expect(analyze).toMatchObject({ field: 'corpus.path', message: expect.stringContaining('is not inside a corpus folder') });
    const evaluate = await jobError(browser, 'sae.evaluate', { saeId, corpus: { kind: 'folder', path: outside }, model: MODEL });
    expect(evaluate).toMatchObject({ field: 'corpus.path', message: expect.stringContaining('is not inside a corpus folder') });

    // Removing the folder takes the permission back.
    expect(await browser.call('workspace.removeCorpusFolder', { path: corpora })).toEqual({ ok: true, value: [] });
    expect((await jobError(browser, 'capture.start', capture(join(corpora, 'text.txt'), 'inside'))).message).toContain('none added yet');
  }, 180_000);

  it('the CLI (the default caller) may read any path it names', async () => {
    const r = await runJob(host, 'capture.start', { model: MODEL, corpus: { kind: 'txt', path: join(outside, 'passwd.txt') }, hooks: [HOOK], name: 'cli', contextLength: 16, maxTokens: 32 });
    expect(r.tokens).toBe(32);
  }, 120_000);

  it('a call that names no caller is refused what a browser is refused (the default fails closed)', async () => {
    const omitted = callerOmitted(host);
    const etc = await jobError(omitted, 'capture.start', { model: MODEL, corpus: { kind: 'txt', path: join(outside, 'passwd.txt') }, hooks: [HOOK], name: 'no-caller', contextLength: 16, maxTokens: 32 });
    expect(etc).toMatchObject({ code: 'invalid_input', field: 'corpus.path', message: expect.stringContaining('is not inside a corpus folder') });
    expect(existsSync(join(workspace, 'activations', 'no-caller'))).toBe(false);
    const away = join(outside, 'no-caller.csv');
    expect(await jobError(omitted, 'catalog.export', { saeId, format: 'csv', path: away })).toMatchObject({ field: 'path', message: expect.stringContaining('is outside the workspace') });
    expect(existsSync(away)).toBe(false);
  }, 60_000);

  it('the root of the file system is not a corpus folder', async () => {
    expect(await callError(browser, 'workspace.addCorpusFolder', { path: '/' })).toMatchObject({ field: 'path', message: expect.stringContaining('root of the file system') });
  });

  it('catalog.export refuses to overwrite a file unless force is set; a browser writes only into the workspace', async () => {
    const target = join(outside, 'features.csv');
    writeFileSync(target, 'precious\n');
    const refused = await jobError(host, 'catalog.export', { saeId, format: 'csv', path: target });
    expect(refused).toMatchObject({ code: 'invalid_input', field: 'path' });
    expect(refused.message).toContain(`${target} already exists; nothing was written`);
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    const forced = await runJob(host, 'catalog.export', { saeId, format: 'csv', path: target, force: true });
    expect(forced.features).toBe(2);
    expect(readFileSync(target, 'utf8')).not.toBe('precious\n');

    const fromBrowser = await jobError(browser, 'catalog.export', { saeId, format: 'csv', path: join(outside, 'new.csv') });
    expect(fromBrowser).toMatchObject({ field: 'path', message: expect.stringContaining('is outside the workspace') });
    expect(existsSync(join(outside, 'new.csv'))).toBe(false);
    // A link inside the workspace that leads out of it is outside too.
    mkdirSync(join(workspace, 'exports'), { recursive: true });
    symlinkSync(outside, join(workspace, 'exports', 'escape'));
    expect((await jobError(browser, 'catalog.export', { saeId, format: 'csv', path: join(workspace, 'exports', 'escape', 'x.csv') })).message).toContain('is outside the workspace');
    const inside = await runJob(browser, 'catalog.export', { saeId, format: 'neuronpedia-jsonl', path: join(workspace, 'exports', 'seeded.jsonl') });
    expect(inside.path).toBe(join(workspace, 'exports', 'seeded.jsonl'));
  }, 60_000);

  it('catalog.export as a Neuronpedia folder or an HTML dashboard: confined for a browser, nothing replaced unasked, bad feature lists refused by value', async () => {
    const away = join(outside, 'np-away');
    expect(await jobError(browser, 'catalog.export', { saeId, format: 'neuronpedia', path: away })).toMatchObject({ field: 'path', message: expect.stringContaining('is outside the workspace') });
    expect(existsSync(away)).toBe(false);
    const folder = join(workspace, 'exports', 'np');
    const np = await runJob(browser, 'catalog.export', { saeId, format: 'neuronpedia', path: folder });
    expect(np).toMatchObject({ path: folder, features: 2 });
    expect(readdirSync(join(folder, 'features'))).toEqual(['batch-0.jsonl.gz']);
    expect((await jobError(browser, 'catalog.export', { saeId, format: 'neuronpedia', path: folder })).message).toContain(`${folder} exists and is not empty; nothing was written`);

    const page = join(workspace, 'exports', 'dash.html');
    expect(await jobError(browser, 'catalog.export', { saeId, format: 'html', path: page })).toMatchObject({ field: 'features' });
    expect(await jobError(browser, 'catalog.export', { saeId, format: 'csv', path: join(workspace, 'exports', 'x.csv'), features: [0] })).toMatchObject({ field: 'features' });
    const missing = await jobError(browser, 'catalog.export', { saeId, format: 'html', path: page, features: [1, 99] });
    expect(missing).toMatchObject({ field: 'features', message: expect.stringContaining('has no feature 99') });
    expect(existsSync(page)).toBe(false);
    const dash = await runJob(browser, 'catalog.export', { saeId, format: 'html', path: page, features: [1, 0] });
    expect(dash.features).toBe(2);
    const html = readFileSync(page, 'utf8');
    expect(html.indexOf('id="feature-1"')).toBeLessThan(html.indexOf('id="feature-0"'));
  }, 60_000);

  it('sae.export: a browser writes only into the workspace; a non-empty folder only with force', async () => {
    const imported = await host.call('sae.import', { path: NPZ, name: 'gs', hookName: HOOK, modelName: 'gpt2-fixture' });
    expect(imported.ok).toBe(true);
    const id = (imported as { value: { saeId: number } }).value.saeId;
    const away = join(outside, 'sae-away');
    expect(await callError(browser, 'sae.export', { saeId: id, dir: away })).toMatchObject({ field: 'dir', message: expect.stringContaining('is outside the workspace') });
    expect(existsSync(away)).toBe(false);
    const dir = join(workspace, 'exports', 'gs-sae');
    expect(await browser.call('sae.export', { saeId: id, dir }, 'browser')).toMatchObject({ ok: true, value: { dir } });
    const again = await callError(browser, 'sae.export', { saeId: id, dir });
    expect(again.message).toContain(`${dir} exists and is not empty; nothing was written`);
    expect(await browser.call('sae.export', { saeId: id, dir, force: true })).toMatchObject({ ok: true });
  }, 60_000);

  it('a jsonl corpus that is not JSON is refused by line and column, without quoting it', async () => {
    const bad = join(outside, 'passwd.jsonl');
    writeFileSync(bad, 'root:x:0:0:secret-token-4711\n');
    const e = await jobError(host, 'capture.start', { model: MODEL, corpus: { kind: 'jsonl', path: bad }, hooks: [HOOK], name: 'bad-json', contextLength: 16 });
    expect(e.code).toBe('bad_file');
    expect(e.message).toContain('passwd.jsonl: line 1: is not valid JSON (syntax error at column 1)');
    expect(e.message).not.toMatch(/root|secret/);
  }, 60_000);
});
