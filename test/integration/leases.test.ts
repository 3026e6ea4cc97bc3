// Many processes on one workspace (issue #19, finding 4): every engine start used to fail and purge
// every running analysis as if it were the only writer. Each case runs the built CLI as real
// processes and checks that the other process really started while the analysis was running.
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  analysesOf,
  analyzeArgs,
  type CliRun,
  connectWs,
  D_SAE,
  lastLine,
  makeWorkspace,
  readCatalog,
  runCli,
  startServe,
  waitForRunning,
  type Workspace,
  wsCall,
  workspaceRuns,
} from './leases-helpers';

let ws: Workspace | undefined;
const { cli, track } = workspaceRuns(
  () => ws,
  () => {
    ws = undefined;
  },
);

/** The analysis CLI ends well, and its analysis is the SAE's complete one with every feature. */
async function expectCompleted(run: CliRun, sae: string, analysisId: number): Promise<void> {
  expect({ sae, code: await run.exited, error: lastLine(run.stderr()) }).toEqual({ sae, code: 0, error: expect.anything() });
  expect(run.stdout()).toContain(`analysis #${analysisId}: ${D_SAE} features`);
  expect(analysesOf(ws!, sae).find((a) => a.id === analysisId)).toMatchObject({ state: 'complete', features: D_SAE });
}

describe('processes sharing one workspace', { timeout: 300_000 }, () => {
  it('`featurescope doctor` started during a CLI analysis leaves it running to completion', async () => {
    ws = makeWorkspace(['s1']);
    const analysis = cli(analyzeArgs(ws, 's1'));
    const running = await waitForRunning(ws, 's1', analysis);

    await runCli(ws, ['doctor']);
    // doctor's engine opened the catalog (and ran recovery) while the analysis was writing.
    expect(analysesOf(ws, 's1').find((a) => a.id === running.id)?.state).toBe('running');
    await expectCompleted(analysis, 's1', running.id);
  });

  it('two analyses of different SAEs at once both complete', async () => {
    ws = makeWorkspace(['s1', 's2']);
    const first = cli(analyzeArgs(ws, 's1'));
    const a1 = await waitForRunning(ws, 's1', first);
    const second = cli(analyzeArgs(ws, 's2'));
    const a2 = await waitForRunning(ws, 's2', second);
    // The second engine's start did not touch the first's analysis.
    expect(analysesOf(ws, 's1').find((a) => a.id === a1.id)?.state).toBe('running');
    await expectCompleted(first, 's1', a1.id);
    await expectCompleted(second, 's2', a2.id);
  });

  it('serve and a CLI search started during an analysis leave it running; serve then reads it', async () => {
    ws = makeWorkspace(['s1']);
    const analysis = cli(analyzeArgs(ws, 's1'));
    const running = await waitForRunning(ws, 's1', analysis);

    const serve = await startServe(ws);
    track(serve.run);
    const client = await connectWs(serve.port, serve.token);
    // Not analysed yet: an empty page, but answered.
    const early = await wsCall(client, 1, 'catalog.search', { saeId: 1, limit: 5 });
    expect(early.ok).toBe(true);
    const search = await runCli(ws, ['search', '--sae', 's1', '--json']);
    expect(JSON.parse(search.stdout())).toMatchObject({ total: 0 });
    expect(analysesOf(ws, 's1').find((a) => a.id === running.id)?.state).toBe('running');

    await expectCompleted(analysis, 's1', running.id);
    const after = await wsCall(client, 2, 'catalog.search', { saeId: 1, limit: 5 });
    expect(after).toMatchObject({ ok: true, value: { total: D_SAE } });
    client.close();
    serve.run.child.kill('SIGTERM');
    expect(await serve.run.exited).toBe(0);
  });

  it('a second analysis of the same SAE is refused, naming the process that analyses it', async () => {
    ws = makeWorkspace(['s1']);
    const first = cli(analyzeArgs(ws, 's1'));
    const running = await waitForRunning(ws, 's1', first);

    const second = cli(analyzeArgs(ws, 's1'));
    expect(await second.exited).toBe(1);
    const message = lastLine(second.stderr());
    // The first one's lease names the process the message must name.
    const holder = readCatalog(ws, (db) => db.prepare(`SELECT pid, host, command, job FROM writer_leases WHERE output = 'analysis:1'`).get()) as
      | { pid: number; host: string; command: string; job: string }
      | undefined;
    expect(holder).toMatchObject({ host: hostname(), job: 'sae.analyze' });
    expect(holder!.command).toMatch(/^featurescope analyze --sae s1 /);
    expect(message).toContain('The analysis of SAE "s1" is already being written by another process');
    expect(message).toContain(`pid ${holder!.pid} on host ${hostname()}`);
    expect(message).toMatch(/since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(message).toContain('running "featurescope analyze --sae s1 ');
    // The refused one began nothing; the first goes on to the end and gives its lease back.
    expect(analysesOf(ws, 's1').map((a) => a.id)).toEqual([running.id]);
    await expectCompleted(first, 's1', running.id);
    expect(readCatalog(ws, (db) => db.prepare(`SELECT count(*) FROM writer_leases`).pluck().get())).toBe(0);
  });

  it("a SIGKILLed analysis is recovered by the next writer of its SAE, while another process's analysis goes on", async () => {
    ws = makeWorkspace(['s1', 's2']);
    const victim = cli(analyzeArgs(ws, 's1'));
    const killed = await waitForRunning(ws, 's1', victim);
    const other = cli(analyzeArgs(ws, 's2', 60_000));
    const live = await waitForRunning(ws, 's2', other);
    victim.killGroup();
    await victim.exited;
    expect(analysesOf(ws, 's1').find((a) => a.id === killed.id)?.state).toBe('running'); // left behind, lease and all

    // The next analysis of s1 takes over the dead writer's lease and cleans up behind it...
    const next = cli(analyzeArgs(ws, 's1', 5_000));
    const fresh = await waitForRunning(ws, 's1', next, killed.id);
    expect(analysesOf(ws, 's1').find((a) => a.id === killed.id)).toMatchObject({ state: 'failed', features: 0, message: expect.stringContaining('interrupted') });
    // ...but s2's writer is alive: its analysis is left alone, and both complete.
    expect(analysesOf(ws, 's2').find((a) => a.id === live.id)?.state).toBe('running');
    await expectCompleted(next, 's1', fresh.id);
    await expectCompleted(other, 's2', live.id);
  });
});
