import { useState } from 'react';
import type { ExperimentRunOutput, RunOutput } from '@shared/contract';
import { Token, TokenChip } from '../ui/Token';
import { tokenTitle } from '@shared/token-display';
import { distributionRows, formatDelta, formatProb } from './distribution';
import { NextTokenChart } from './NextTokenChart';
import { TokenHeat } from './TokenHeat';

export interface ShownRun {
  baseline: RunOutput;
  /** Null for a plain run (no intervention enabled). */
  experiment: Pick<ExperimentRunOutput, 'intervened' | 'kl' | 'changes' | 'experiment'> | null;
}

/** A run's prompt heat, next-token distribution and continuation; with an experiment, baseline beside intervened. */
export function RunResult({ run, probeScale }: { run: ShownRun; probeScale: number | null }) {
  const { baseline, experiment } = run;
  const rows = distributionRows(baseline, experiment?.intervened ?? null, experiment?.changes ?? []);
  return (
    <div className="run-result" data-testid="run-result" data-cite={experiment?.experiment.citeId}>
      {experiment ? <ExperimentFacts experiment={experiment} seconds={baseline.seconds + experiment.intervened.seconds} /> : null}
      <div className="rr-block">
        <h4>
          Prompt{baseline.probe ? ' · ' : ''}
          {baseline.probe ? <span className="mono plain">{baseline.probe.label}</span> : null}
        </h4>
        <TokenHeat tokens={baseline.tokens} probe={baseline.probe} scaleMax={probeScale} />
        {experiment?.intervened.probe ? (
          <div className="rr-intervened-heat">
            <span className="muted">intervened</span>
            <TokenHeat
              tokens={experiment.intervened.tokens}
              probe={experiment.intervened.probe}
              scaleMax={probeScale ?? maxAbs(baseline.probe?.values ?? [])}
              scaleNote={probeScale !== null ? "shaded against the feature's max" : 'shaded like the baseline, max'}
            />
          </div>
        ) : null}
      </div>
      <div className="rr-grid">
        <div className="rr-block">
          <h4>Next token</h4>
          <NextTokenChart rows={rows} compare={experiment !== null} />
        </div>
        {experiment ? (
          <div className="rr-block">
            <h4>Moved most</h4>
            <table className="table compact changes" aria-label="Probability changes">
              <thead>
                <tr>
                  <th>Token</th>
                  <th className="num">Baseline</th>
                  <th className="num">Intervened</th>
                  <th className="num">Change</th>
                </tr>
              </thead>
              <tbody>
                {experiment.changes.map((c) => (
                  <tr key={c.id} className="static" data-testid="change-row" data-token-id={c.id} data-before={c.before} data-after={c.after}>
                    <td>
                      <TokenChip text={c.text} title={`token ${c.id}`} />
                    </td>
                    <td className="num">{formatProb(c.before)}</td>
                    <td className="num">{formatProb(c.after)}</td>
                    <td className={`num ${c.after > c.before ? 'up' : c.after < c.before ? 'down' : 'muted'}`}>{formatDelta(c.before, c.after)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </div>
      <div className={`rr-continuations ${experiment ? 'two' : ''}`}>
        <Continuation title={experiment ? 'Baseline continuation' : 'Continuation'} run={baseline} testId="continuation-baseline" />
        {experiment ? <Continuation title="Intervened continuation" run={experiment.intervened} testId="continuation-intervened" /> : null}
      </div>
    </div>
  );
}

function maxAbs(values: number[]): number | null {
  const m = values.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
  return m > 0 ? m : null;
}

function Continuation({ title, run, testId }: { title: string; run: RunOutput; testId: string }) {
  const c = run.continuation;
  return (
    <div className="rr-block">
      <h4>{title}</h4>
      {c ? (
        <p className="continuation mono" data-testid={testId}>
          {c.tokens.map((t, i) => (
            <span key={i} className={`tok ${t.text === '' ? 'continued' : ''}`} title={[`log p ${t.logProb.toFixed(3)}`, tokenTitle(t.text)].filter(Boolean).join('\n')} data-token={t.text}>
              <Token text={t.text} form="inline" />
            </span>
          ))}
          <span className="muted stop">[{c.stop === 'eos' ? 'end of text' : 'max tokens'}]</span>
        </p>
      ) : (
        <p className="muted">No continuation asked for.</p>
      )}
    </div>
  );
}

function ExperimentFacts({ experiment, seconds }: { experiment: NonNullable<ShownRun['experiment']>; seconds: number }) {
  const [copied, setCopied] = useState(false);
  const cite = experiment.experiment.citeId;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(cite);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      // Clipboard refused (permissions): select the text so the user can copy it by hand.
      const el = document.querySelector('[data-testid="cite-id"]');
      if (el) window.getSelection()?.selectAllChildren(el);
    }
  };
  return (
    <div className="rr-facts">
      <span title="KL(baseline ‖ intervened) of the next-token distribution after the prompt">
        KL <span className="mono strong" data-testid="kl">{experiment.kl.toPrecision(4)}</span> nats
      </span>
      <span className="sep" />
      <span>
        logged as <span className="mono strong" data-testid="cite-id">{cite}</span>
      </span>
      <button type="button" className="btn small" onClick={() => void copy()}>
        {copied ? 'Copied' : 'Copy'}
      </button>
      <span className="muted rr-seconds" data-testid="engine-seconds" data-seconds={seconds} title="model time of the baseline and intervened runs, generation included">
        engine {(seconds * 1000).toFixed(0)} ms
      </span>
    </div>
  );
}
