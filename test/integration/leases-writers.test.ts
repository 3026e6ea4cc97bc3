// Writer leases of the other jobs that write a shared output (captures and training) and the
// lease's release on cancel, with the built CLI and serve as real processes on one workspace.
import { existsSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  analysesOf,
  analyzeArgs,
  type CliRun,
  connectWs,
  lastLine,
  leases,
  makeWorkspace,
  MODEL,
  runCli,
  startServe,
  waitFor,
  waitForLease,
  waitForRunning,
  type Workspace,
  wsCall,
  workspaceRuns,
} from './leases-helpers';

const HOOK = 'blocks.1.hook_resid_post';

let ws: Workspace | undefined;
const { cli, track } = workspaceRuns(
  () => ws,
  () => {
    ws = undefined;
  },
);

const captureArgs = (w: Workspace, name: string, maxTokens: number) => ['capture', '--corpus', w.corpus, '--hook', HOOK, '--name', name, '--model', MODEL, '--max-tokens', String(maxTokens)];
const trainArgs = (store: string, name: string) => ['train', '--store', store, '--name', name, '--d-sae', '256', '--k', '8', '--steps', '800', '--batch', '256', '--checkpoint-every', '50', '--eval-windows', '0'];

/** The refusal names the holder: pid, host, since when, the command it runs. */
function expectRefusal(run: CliRun, holder: { pid: number; command: string }, what: string): void {
  const message = lastLine(run.stderr());
  expect(message).toContain(`${what} is already being written by another process: pid ${holder.pid} on host ${hostname()} (this machine), since `);
  expect(message).toContain(`running "${holder.command}"`);
}

describe('writer leases of captures and training', { timeout: 300_000 }, () => {
  it('a second capture into the same folder is refused naming the first, which completes and frees its lease', async () => {
    ws = makeWorkspace([]);
    const folder = join(ws.home, 'workspaces', 'default', 'activations', 'cap');
    const first = cli(captureArgs(ws, 'cap', 60_000));
    const holder = await waitForLease(ws, `capture:${folder}`, first);
    expect(holder).toMatchObject({ job: 'capture.start', command: expect.stringMatching(/^featurescope capture /) });

    const second = cli(captureArgs(ws, 'cap', 60_000));
    expect(await second.exited).toBe(1);
    expect(first.child.exitCode).toBeNull(); // refused while the first was writing
    expectRefusal(second, holder, `The capture "cap" (${folder})`);

    expect(await first.exited).toBe(0);
    expect(first.stdout()).toContain(`${HOOK}: 60000 tokens`);
    expect(leases(ws)).toEqual([]);
  });

  it('a second training (or an import) of one name is refused; once the first is SIGKILLed the next takes over its lease and resumes', async () => {
    ws = makeWorkspace([]);
    await runCli(ws, captureArgs(ws, 'cap', 20_000));
    const store = join(ws.home, 'workspaces', 'default', 'activations', 'cap', HOOK);
    const checkpoints = join(ws.home, 'workspaces', 'default', 'checkpoints', 't1');

    const first = cli(trainArgs(store, 't1'));
    const holder = await waitForLease(ws, 'sae:t1', first);
    const second = cli(trainArgs(store, 't1'));
    expect(await second.exited).toBe(1);
    expect(first.child.exitCode).toBeNull();
    expectRefusal(second, holder, 'SAE "t1"');
    // An import under that name would write the folder the training saves into: refused too.
    const imported = cli(['import', '--path', join(ws.home, 'sae-weights'), '--name', 't1']);
    expect(await imported.exited).toBe(1);
    expectRefusal(imported, holder, 'SAE "t1"');

    // Killed after its first checkpoint: its lease stays behind with a dead pid.
    const complete = () => (existsSync(checkpoints) ? readdirSync(checkpoints).some((n) => /^step-\d+$/.test(n) && existsSync(join(checkpoints, n, 'manifest.json'))) : false);
    await waitFor(() => (complete() ? true : undefined), 120_000, 'a complete checkpoint');
    first.killGroup();
    await first.exited;
    expect(leases(ws).map((l) => l.pid)).toEqual([holder.pid]);

    const next = await runCli(ws, trainArgs(store, 't1'));
    expect(next.stdout()).toMatch(/completed at step 800/);
    expect(next.stdout()).toMatch(/\(resumed from [1-9]\d*\)/);
    expect(leases(ws)).toEqual([]);
  });

  it('an analysis cancelled through serve gives its lease back, and the next analysis of the SAE runs', async () => {
    ws = makeWorkspace(['s1']);
    const serve = await startServe(ws);
    track(serve.run);
    const client = await connectWs(serve.port, serve.token);
    // A browser-side caller reads corpora only from the workspace's corpus folders.
    expect(await wsCall(client, 0, 'workspace.addCorpusFolder', { path: dirname(ws.corpus) })).toMatchObject({ ok: true });
    const job = await wsCall(client, 1, 'sae.analyze', { saeId: 1, corpus: { kind: 'txt', path: ws.corpus }, model: MODEL, maxTokens: 200_000 });
    expect(job.ok).toBe(true);
    const { jobId } = job.value as { jobId: string };
    const running = await waitForRunning(ws, 's1', serve.run);
    expect(leases(ws).map((l) => [l.output, l.job, l.command])).toEqual([['analysis:1', 'sae.analyze', 'featurescope serve']]);

    expect(await wsCall(client, 2, 'jobs.cancel', { jobId })).toMatchObject({ ok: true, value: { cancelled: true } });
    let n = 3;
    for (;;) {
      const info = await wsCall(client, n++, 'jobs.get', { jobId });
      if ((info.value as { state: string }).state !== 'running') {
        expect(info.value).toMatchObject({ state: 'cancelled' });
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(leases(ws)).toEqual([]);
    expect(analysesOf(ws, 's1').find((a) => a.id === running.id)).toMatchObject({ state: 'failed', message: 'cancelled by user' });

    const next = await runCli(ws, analyzeArgs(ws, 's1', 5_000));
    expect(next.stdout()).toMatch(/analysis #\d+: 512 features/);
    client.close();
    serve.run.child.kill('SIGTERM');
    expect(await serve.run.exited).toBe(0);
  });
});
