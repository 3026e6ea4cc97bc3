// Soak (issue #19, Done-when): a serve instance under mixed valid and invalid traffic from several
// WebSocket clients, while two CLI processes write analyses into the same workspace, for at most
// two minutes. At the end: the catalog passes integrity_check, every committed analysis is there,
// and the server still answers. Opt-in: FEATURESCOPE_SOAK=1 (it is reported skipped otherwise).
// The invalid traffic is what serve mode survives by design: unknown commands, inputs that break
// their schema, frames that are not JSON (answered by closing that socket with 1003).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { analysesOf, analyzeArgs, connectWs, D_SAE, lastLine, makeWorkspace, readCatalog, startCli, startServe, type Workspace, wsCall } from './leases-helpers';

const SOAK = process.env.FEATURESCOPE_SOAK === '1';
/**
 * The whole run, start-up and checks included, stays under two minutes: traffic for 70 s, and no
 * writer starts a new analysis in its last 25 s (one takes ~10-25 s here, by load), so the last
 * ones end about when the traffic does.
 */
const TRAFFIC_MS = 70_000;
const WRITERS_STOP_BEFORE_END_MS = 25_000;
const CLIENTS = 4;
const REPLY_TIMEOUT_MS = 30_000;
const WRITER_TOKENS = 12_000;

interface Tally {
  sent: number;
  answered: number;
  badJson: number;
  failures: string[];
}

/** One WebSocket client sending a random mix until `until`; reconnects after each bad-JSON close. */
async function client(port: number, token: string, seed: number, until: number, tally: Tally): Promise<void> {
  let next = seed * 1_000_000;
  let rand = seed;
  const random = () => ((rand = (rand * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let ws: WebSocket = await connectWs(port, token);
  const call = async (command: string, input: unknown, expectOk: boolean | 'either') => {
    tally.sent++;
    const id = ++next;
    try {
      const reply = await wsCall(ws, id, command, input, REPLY_TIMEOUT_MS);
      tally.answered++;
      if (expectOk !== 'either' && reply.ok !== expectOk) tally.failures.push(`${command}: ok=${reply.ok} ${reply.error?.code ?? ''} ${reply.error?.message ?? ''}`);
      if (!reply.ok && ['internal', 'engine_crashed', 'engine_unavailable'].includes(reply.error!.code)) tally.failures.push(`${command}: ${reply.error!.code} ${reply.error!.message}`);
    } catch (err) {
      tally.failures.push(`${command}: ${(err as Error).message}`);
    }
  };
  while (Date.now() < until) {
    const r = random();
    const saeId = 1 + Math.floor(random() * 2);
    if (r < 0.3) await call('catalog.search', { saeId, limit: 20, sort: random() < 0.5 ? 'density' : 'idx' }, true);
    else if (r < 0.45) await call('catalog.search', { saeId, q: 'fox', limit: 5 }, true);
    else if (r < 0.55) await call('catalog.saes', {}, true);
    else if (r < 0.62) await call('catalog.feature', { saeId, idx: Math.floor(random() * D_SAE) }, 'either'); // not_found until analysed
    else if (r < 0.75) await call('catalog.search', { saeId: 'not a number', limit: -3 }, false);
    else if (r < 0.85) await call(`no.such.command.${Math.floor(random() * 100)}`, {}, false);
    else if (r < 0.92) await call('catalog.feature', { saeId, idx: -1, extra: true }, false);
    else {
      // Not JSON: the server closes this socket with 1003; the client comes back.
      tally.sent++;
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      ws.send(random() < 0.5 ? '{"id": 1, "command": ' : 'plain text, not a frame');
      const code = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), REPLY_TIMEOUT_MS))]);
      if (code === 1003) tally.badJson++;
      else tally.failures.push(`bad JSON: closed with ${code} instead of 1003`);
      try {
        ws = await connectWs(port, token);
      } catch (err) {
        tally.failures.push(`reconnect: ${(err as Error).message}`);
        return;
      }
    }
  }
  ws.close();
}

/** Analyses of one SAE back to back until `until`; returns the ids each run committed. */
async function writer(ws: Workspace, sae: string, until: number, failures: string[]): Promise<number[]> {
  const committed: number[] = [];
  while (Date.now() < until) {
    const run = startCli(ws, analyzeArgs(ws, sae, WRITER_TOKENS));
    const code = await run.exited;
    const id = /analysis #(\d+):/.exec(run.stdout())?.[1];
    if (code === 0 && id !== undefined) committed.push(Number(id));
    else failures.push(`analyze --sae ${sae} exited ${code}: ${lastLine(run.stderr())}`);
  }
  return committed;
}

const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

describe.skipIf(!SOAK)('soak: serve under mixed traffic while two CLI writers analyse', () => {
  it('keeps the catalog sound, every committed analysis present and the server answering', { timeout: 150_000 }, async () => {
    const t0 = Date.now();
    const loadBefore = uptime();
    const ws = makeWorkspace(['s1', 's2']);
    const serve = await startServe(ws);
    try {
      const until = Date.now() + TRAFFIC_MS;
      const tally: Tally = { sent: 0, answered: 0, badJson: 0, failures: [] };
      const writerFailures: string[] = [];
      const [, w1, w2] = await Promise.all([
        Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(serve.port, serve.token, i + 1, until, tally))),
        writer(ws, 's1', until - WRITERS_STOP_BEFORE_END_MS, writerFailures),
        writer(ws, 's2', until - WRITERS_STOP_BEFORE_END_MS, writerFailures),
      ]);
      const loadAfter = uptime();

      // The server answers, and reads what the writers committed last.
      const check = await connectWs(serve.port, serve.token);
      const final = await wsCall(check, 1, 'catalog.search', { saeId: 1, limit: 1 });
      check.close();

      const integrity = readCatalog(ws, (db) => db.pragma('integrity_check', { simple: true }));
      const report = {
        durationS: Math.round((Date.now() - t0) / 100) / 10,
        clients: CLIENTS,
        requestsSent: tally.sent,
        answered: tally.answered,
        badJsonCloses: tally.badJson,
        failures: tally.failures.length,
        analysesCommitted: { s1: w1.length, s2: w2.length },
        writerFailures: writerFailures.length,
        loadBefore,
        loadAfter,
      };
      console.log(`soak: ${JSON.stringify(report)}`);

      expect(tally.failures.slice(0, 5)).toEqual([]);
      expect(writerFailures).toEqual([]);
      expect(integrity).toBe('ok');
      expect(final).toMatchObject({ ok: true, value: { total: D_SAE } });
      for (const [sae, ids] of [['s1', w1], ['s2', w2]] as const) {
        expect(ids.length).toBeGreaterThan(0);
        const rows = analysesOf(ws, sae);
        // Every committed analysis is there: the last one active and whole, the ones before superseded.
        for (const id of ids) expect(rows.find((a) => a.id === id)?.state).toBe(id === ids.at(-1) ? 'complete' : 'superseded');
        expect(rows.find((a) => a.id === ids.at(-1))?.features).toBe(D_SAE);
        expect(rows.filter((a) => a.state === 'running' || a.state === 'failed')).toEqual([]);
        const active = readCatalog(ws, (db) => db.prepare(`SELECT active_analysis_id FROM saes WHERE name = ?`).pluck().get(sae));
        expect(active).toBe(ids.at(-1));
      }
    } finally {
      serve.run.child.kill('SIGTERM');
      await serve.run.exited;
      ws.dispose();
    }
  });
});
