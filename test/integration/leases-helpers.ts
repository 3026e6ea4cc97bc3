// Real processes on one workspace: the built CLI (`node bin/featurescope.js …`) in a temp
// FEATURESCOPE_HOME, with SAEs for the gpt2 fixture model already in its catalog, and the
// catalog read from the test with its own read-only connection.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { insertSae, openCatalog } from '../../src/catalog';
import { writeSafetensors } from '../../src/engine/formats/safetensors';
import { afterEach } from 'vitest';
import { builtDir } from './helpers';

/** Poll until `probe` returns a value; a probe that throws ends the wait with its error. */
export async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const MODEL = resolve(__dirname, '../fixtures/models/gpt2');
const CLI = resolve(__dirname, '../../bin/featurescope.js');
const HOOK = 'blocks.1.hook_resid_post';
const D_IN = 32;
/** Wide enough that an analysis of the fixture model takes seconds, so other processes start meanwhile. */
export const D_SAE = 512;

export interface Workspace {
  home: string;
  corpus: string;
  catalogPath: string;
  dispose(): void;
}

/** A workspace whose catalog holds one SAE per name (same weights), and a plain-text corpus. */
export function makeWorkspace(saeNames: readonly string[]): Workspace {
  if (!existsSync(join(builtDir, 'cli.js'))) throw new Error('Build first: npx electron-vite build (these tests run the built CLI).');
  const home = mkdtempSync(join(tmpdir(), 'featurescope-leases-'));
  const saeDir = join(home, 'sae-weights');
  mkdirSync(saeDir, { recursive: true });
  const wEnc = new Float32Array(D_IN * D_SAE).map((_, i) => Math.sin(i * 7.1) * 0.3);
  writeSafetensors(join(saeDir, 'sae_weights.safetensors'), [
    { name: 'W_enc', dtype: 'F32', shape: [D_IN, D_SAE], data: wEnc },
    { name: 'W_dec', dtype: 'F32', shape: [D_SAE, D_IN], data: new Float32Array(D_SAE * D_IN).fill(0.01) },
    { name: 'b_enc', dtype: 'F32', shape: [D_SAE], data: new Float32Array(D_SAE) },
    { name: 'b_dec', dtype: 'F32', shape: [D_IN], data: new Float32Array(D_IN) },
  ]);
  writeFileSync(
    join(saeDir, 'cfg.json'),
    JSON.stringify({ architecture: 'standard', d_in: D_IN, d_sae: D_SAE, dtype: 'float32', device: 'cpu', apply_b_dec_to_input: false, normalize_activations: 'none', reshape_activations: 'none', metadata: { hook_name: HOOK, model_name: MODEL } }),
  );
  const catalogPath = join(home, 'workspaces', 'default', 'catalog.sqlite');
  const catalog = openCatalog(catalogPath);
  for (const name of saeNames) {
    insertSae(catalog, {
      name,
      modelId: null,
      hookName: HOOK,
      architecture: 'standard',
      dIn: D_IN,
      dSae: D_SAE,
      cfg: {},
      metrics: {},
      provenance: { model: MODEL, hook: HOOK, corpus: null, seed: null, appVersion: '0.1.0', createdAt: 1 },
      weightsPath: saeDir,
    });
  }
  catalog.close();
  const lines: string[] = [];
  for (let i = 0; i < 4000; i++) lines.push(`line ${i}: the quick brown fox ${i % 7 === 0 ? 'def main():' : 'jumps over'} the lazy dog ${(i * 37) % 101}.`);
  const corpus = join(home, 'corpus.txt');
  writeFileSync(corpus, lines.join('\n'));
  return { home, corpus, catalogPath, dispose: () => rmSync(home, { recursive: true, force: true }) };
}

export interface CliRun {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stdout(): string;
  stderr(): string;
  /** SIGKILL the CLI and its engine (they share a process group). */
  killGroup(): void;
}

/** Start `featurescope <args>` in its own process group. */
export function startCli(ws: Workspace, args: readonly string[]): CliRun {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, FEATURESCOPE_HOME: ws.home },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    killGroup: () => process.kill(-child.pid!, 'SIGKILL'),
  };
}

/** The flags of an analysis long enough to overlap with the processes a test starts beside it. */
/**
 * The CLI children a test file starts on its current workspace: after each test every one still
 * running is killed with its process group, and the workspace is removed (`clear` forgets it).
 */
export function workspaceRuns(current: () => Workspace | undefined, clear: () => void): { cli(args: readonly string[]): CliRun; track(run: CliRun): void } {
  const started: CliRun[] = [];
  afterEach(() => {
    for (const run of started.splice(0)) if (run.child.exitCode === null && run.child.signalCode === null) run.killGroup();
    current()?.dispose();
    clear();
  });
  return {
    cli(args) {
      const run = startCli(current()!, args);
      started.push(run);
      return run;
    },
    /** A child started otherwise (e.g. startServe), killed after the test like the rest. */
    track(run) {
      started.push(run);
    },
  };
}

export function analyzeArgs(ws: Workspace, sae: string, maxTokens = 30_000): string[] {
  return ['analyze', '--sae', sae, '--corpus', ws.corpus, '--model', MODEL, '--max-tokens', String(maxTokens), '--top', '5'];
}

/** Run a CLI command to its end; throws with its stderr when it does not exit 0. */
export async function runCli(ws: Workspace, args: readonly string[]): Promise<CliRun> {
  const run = startCli(ws, args);
  const code = await run.exited;
  if (code !== 0) throw new Error(`featurescope ${args.join(' ')} exited with ${code}: ${lastLine(run.stderr())}`);
  return run;
}

export function lastLine(text: string): string {
  return text.trim().split(/[\r\n]/).at(-1) ?? '';
}

export interface AnalysisRow {
  id: number;
  state: string;
  features: number;
  message: string | null;
}

/** Read the catalog as another process would, with a connection of our own. */
export function readCatalog<T>(ws: Workspace, read: (db: Database.Database) => T): T {
  const db = new Database(ws.catalogPath, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return read(db);
  } finally {
    db.close();
  }
}

/** The analyses of one SAE, oldest first, with the feature rows each still has. */
export function analysesOf(ws: Workspace, sae: string): AnalysisRow[] {
  return readCatalog(ws, (db) =>
    db
      .prepare(
        `SELECT a.id, a.state, (SELECT count(*) FROM features f WHERE f.analysis_id = a.id) AS features, a.message
         FROM analyses a JOIN saes s ON s.id = a.sae_id WHERE s.name = ? ORDER BY a.id`,
      )
      .all(sae) as AnalysisRow[],
  );
}

/** Wait until the SAE has an analysis in the 'running' state (the writer is past its start-up), newer than `afterId`. */
export function waitForRunning(ws: Workspace, sae: string, run: CliRun, afterId = 0): Promise<AnalysisRow> {
  return waitFor(
    () => {
      if (run.child.exitCode !== null) throw new Error(`featurescope analyze --sae ${sae} ended before its analysis ran: ${lastLine(run.stderr())}`);
      return analysesOf(ws, sae).find((a) => a.state === 'running' && a.id > afterId);
    },
    120_000,
    `a running analysis of ${sae}`,
  );
}

/** Start `featurescope serve`; resolves with its port and token once it printed its address. */
export async function startServe(ws: Workspace): Promise<{ run: CliRun; port: number; token: string }> {
  const run = startCli(ws, ['serve']);
  const url = await waitFor(
    () => {
      if (run.child.exitCode !== null) throw new Error(`featurescope serve exited: ${lastLine(run.stderr())}`);
      return /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.exec(run.stdout())?.[0];
    },
    120_000,
    'the serve address',
  );
  const parsed = new URL(url);
  return { run, port: Number(parsed.port), token: parsed.searchParams.get('token')! };
}

/** A WebSocket client of serve mode, with the Bearer header scripts use. */
export function connectWs(port: number, token: string): Promise<WebSocket> {
  return new Promise((resolvePromise, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { authorization: `Bearer ${token}` } });
    ws.once('open', () => resolvePromise(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket upgrade answered ${res.statusCode}`)));
  });
}

/** One command over the WebSocket: the server's {id, ok, value|error} reply. */
/** A reply frame as the wire carries it (untyped: these tests speak the raw protocol, as a script would). */
export interface WsReply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: { code: string; message: string };
}

export function wsCall(ws: WebSocket, id: number, command: string, input: unknown, timeoutMs = 60_000): Promise<WsReply> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`no reply to ${command} in ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (data: WebSocket.RawData) => {
      const frame = JSON.parse(String(data)) as Partial<WsReply>;
      if (frame.id !== id) return; // an event, or another call's reply
      clearTimeout(timer);
      ws.off('message', onMessage);
      resolvePromise(frame as WsReply);
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, command, input }));
  });
}

export interface LeaseRow {
  output: string;
  pid: number;
  host: string;
  command: string;
  job: string;
}

/** The writer leases in the catalog now. */
export function leases(ws: Workspace): LeaseRow[] {
  return readCatalog(ws, (db) => db.prepare(`SELECT output, pid, host, command, job FROM writer_leases ORDER BY output`).all() as LeaseRow[]);
}

/** Wait until a lease on `output` is held (its job is past the lease and at work). */
export function waitForLease(ws: Workspace, output: string, run: CliRun | null): Promise<LeaseRow> {
  return waitFor(
    () => {
      if (run !== null && run.child.exitCode !== null) throw new Error(`the writer of ${output} ended before it took its lease: ${lastLine(run.stderr())}`);
      return leases(ws).find((l) => l.output === output);
    },
    120_000,
    `a lease on ${output}`,
  );
}
