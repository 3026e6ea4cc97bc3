import { useState } from 'react';
import type { CommandOutput } from '@shared/contract';
import { call } from '../api/client';
import { describeIntervention } from '../playground/interventions';
import { RunResult } from '../playground/RunResult';
import { useAction } from '../ui/forms';
import { interventionsOf, type LoggedExperiment, type LoggedInputs, type LoggedOutputs } from './logged';

/** What a replay says, whichever kind of experiment it re-ran. */
type Replay = { matches: boolean; note: string };

function replayRun(kind: string, citeId: string, loggedKl: number | undefined): Promise<Replay> {
  if (kind === 'audit') {
    return call('audit.replay', { ref: citeId }).then((r: CommandOutput<'audit.replay'>) => ({
      matches: r.matches,
      note: `Replayed now: mean difference ${r.meanDiff.toPrecision(4)}, t ${r.t.toPrecision(4)}, p ${r.p.toPrecision(3)}`,
    }));
  }
  if (kind === 'attribution') {
    return call('attribution.replay', { ref: citeId }).then((r: CommandOutput<'attribution.replay'>) => ({
      matches: r.matches,
      note:
        r.of === 'attribution.run'
          ? `Re-ranked now: ${r.reordered} unit(s) moved, largest score change ${(r.difference * 100).toPrecision(2)}% of the top score`
          : `Re-patched now: ${r.reordered} next token(s) moved, largest probability change ${r.difference.toPrecision(2)}`,
    }));
  }
  if (kind === 'probe') {
    return call('probe.replay', { ref: citeId }).then((r: CommandOutput<'probe.replay'>) => ({
      matches: r.matches,
      note: `Re-trained now on the logged prompts and seed: ${r.stepsDiffering} λ step(s) differ, ${r.coefChange === null ? 'the smallest set holds other units' : `largest coefficient change ${(r.coefChange * 100).toPrecision(2)}%`}`,
    }));
  }
  if (kind === 'scan') {
    // The strongest context of the first watched feature that flagged any, run again.
    return call('scan.replay', { ref: citeId }).then((r: CommandOutput<'scan.replay'>) => ({
      matches: r.matches,
      note: `Replayed feature ${r.idx}'s top flagged context now: peak ${r.value.toPrecision(4)} (logged ${r.logged.toPrecision(4)})`,
    }));
  }
  return call('experiment.replay', { ref: citeId }).then((r) => ({
    matches: r.matches,
    note: `Replayed now: KL ${r.kl.toPrecision(4)} nats (logged ${loggedKl?.toPrecision(4) ?? '—'})`,
  }));
}

/** One logged experiment: what went in, what came out, and a replay that says whether it still matches. */
export function ExperimentDetail({ experiment }: { experiment: LoggedExperiment }) {
  const inputs = experiment.inputs as LoggedInputs;
  const outputs = experiment.outputs as LoggedOutputs;
  const [replay, setReplay] = useState<Replay>();
  const action = useAction();
  const gen = inputs.generate;
  const doReplay = async () => {
    setReplay(undefined);
    const r = await action.run(() => replayRun(experiment.kind, experiment.citeId, outputs.kl));
    if (r) setReplay(r);
  };

  return (
    <section className="panel exp-detail" aria-label="Experiment detail">
      <header className="panel-head">
        <h3 className="mono">{experiment.citeId}</h3>
        <div className="exp-actions">
          {replay ? (
            <span className={`badge ${replay.matches ? 'state-finished' : 'state-failed'}`} data-testid="replay-verdict">
              {replay.matches ? 'matches' : 'differs'}
            </span>
          ) : null}
          <button type="button" className="btn small" onClick={() => void doReplay()} disabled={action.busy}>
            {action.busy ? 'Replaying…' : 'Replay'}
          </button>
        </div>
      </header>
      {action.error ? (
        <p className="error-text" role="alert">
          {action.error.message}
        </p>
      ) : null}
      {replay ? (
        <p className="muted exp-replay-note">
          {replay.note} {replay.matches ? '— the same as logged.' : '— the outputs changed since it was logged.'}
        </p>
      ) : null}
      <dl className="kv exp-inputs">
        <dt>Kind</dt>
        <dd>{experiment.kind}</dd>
        <dt>Model</dt>
        <dd className="mono">{inputs.model ?? '—'}</dd>
        <dt>SAE</dt>
        <dd>{experiment.saeId === null ? '—' : `#${experiment.saeId}`}</dd>
        <dt>Prompt</dt>
        <dd className="mono exp-prompt-full">{inputs.prompt ?? '—'}</dd>
        <dt>Interventions</dt>
        <dd>
          <ul className="exp-iv-list mono">
            {interventionsOf(experiment).map((iv, i) => (
              <li key={i}>{describeIntervention(iv)}</li>
            ))}
          </ul>
        </dd>
        <dt>Generation</dt>
        <dd>{gen ? `${gen.maxNewTokens ?? 32} tokens · ${gen.temperature ? `temperature ${gen.temperature}, seed ${gen.seed ?? 0}` : 'greedy'}` : 'none'}</dd>
        <dt>Logged</dt>
        <dd>
          {new Date(experiment.createdAt).toLocaleString()} · Featurescope {experiment.appVersion}
        </dd>
      </dl>
      {outputs.baseline && outputs.intervened ? (
        <RunResult
          run={{ baseline: outputs.baseline, experiment: { intervened: outputs.intervened, kl: outputs.kl ?? 0, changes: outputs.changes ?? [], experiment: { id: experiment.id, citeId: experiment.citeId } } }}
          probeScale={null}
        />
      ) : (
        <p className="muted">This experiment’s outputs are not a baseline/intervened pair.</p>
      )}
    </section>
  );
}
