import { useState } from 'react';
import type { CommandOutput } from '@shared/contract';
import { call } from '../api/client';
import { describeIntervention } from '../playground/interventions';
import { RunResult } from '../playground/RunResult';
import { useAction } from '../ui/forms';
import { interventionsOf, type LoggedExperiment, type LoggedInputs, type LoggedOutputs } from './logged';
import { LoggedFindings } from './LoggedFindings';

/** What a replay says, whichever kind of experiment it re-ran (the engine picks the kind's replay). */
type Replay = Pick<CommandOutput<'experiment.replay'>, 'matches' | 'note'>;

/** One logged experiment: what went in, what came out, and a replay that says whether it still matches. */
export function ExperimentDetail({ experiment, saeName }: { experiment: LoggedExperiment; saeName: string | null }) {
  const inputs = experiment.inputs as LoggedInputs;
  const outputs = experiment.outputs as LoggedOutputs;
  const [replay, setReplay] = useState<Replay>();
  const action = useAction();
  const gen = inputs.generate;
  // Playground runs log a prompt, interventions and a baseline/intervened pair; other kinds say what they found.
  const isRun = experiment.kind === 'ablation' || experiment.kind === 'steering';
  const doReplay = async () => {
    setReplay(undefined);
    const r = await action.run(() => call('experiment.replay', { ref: experiment.citeId }));
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
        <dd>{saeName ?? '—'}</dd>
        {isRun || inputs.prompt ? (
          <>
            <dt>Prompt</dt>
            <dd className="mono exp-prompt-full">{inputs.prompt ?? '—'}</dd>
          </>
        ) : null}
        {isRun ? (
          <>
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
          </>
        ) : null}
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
      ) : isRun ? (
        <p className="muted">This run logged no baseline/intervened pair.</p>
      ) : (
        <LoggedFindings experiment={experiment} />
      )}
    </section>
  );
}
