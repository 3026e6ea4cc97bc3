import type { CommandOutput } from '@shared/contract';
import { CiteLine } from '../ui/CiteLine';
import { FeatureLink } from '../ui/FeatureLink';
import { signed } from '../ui/charts/attribution';
import { describeMetric } from './inputs';
import type { ShownRank } from './RankPanel';
import { ScoreChart } from './ScoreChart';
import { VerifyScatter } from './VerifyScatter';

type Verification = NonNullable<CommandOutput<'attribution.run'>['verification']>;

/** Bars beyond this many get too thin to read; the table lists all of them. */
const CHART_UNITS = 25;

/** The metric on the clean prompt, the ranked units, their scores, and how verification went. */
export function RankResult({ shown }: { shown: ShownRank }) {
  const { input, output } = shown;
  const kind = input.site.kind;
  const verified = output.verification !== null;
  const baseline = input.patchPrompt === undefined ? 'zero-ablation' : 'patched from the patch prompt';
  return (
    <div className="at-result" data-testid="rank-result" data-cite={output.experiment.citeId}>
      <div className="rr-facts">
        <span title="The metric at the last position of the prompt, nothing patched">
          {describeMetric(input.metric)} = <span className="mono strong" data-testid="metric-clean">{output.metricClean.toFixed(4)}</span>
        </span>
        <span className="sep" />
        <span className="muted">
          {output.units.length} {kind === 'sae' ? 'features' : 'neurons'} by |score| · {input.method === 'integrated-gradients' ? `integrated gradients, ${input.steps ?? 16} steps` : 'gradient'} · {baseline}
        </span>
        <span className="sep" />
        <CiteLine citeId={output.experiment.citeId} />
        <span className="muted rr-seconds" title="From pressing Rank to the answer">
          {shown.seconds.toFixed(1)} s
        </span>
      </div>
      {output.verification ? <VerificationFacts v={output.verification} /> : null}
      <div className="at-grid">
        <div className="at-table-wrap">
          <table className="table compact" aria-label="Ranked units">
            <thead>
              <tr>
                <th className="num">#</th>
                <th>Hook</th>
                <th className="num">{kind === 'sae' ? 'Feature' : 'Neuron'}</th>
                <th className="num" title="Estimated change of the metric when this unit alone is patched">
                  Score
                </th>
                {verified ? (
                  <th className="num" title="The metric's real change when this unit alone is patched">
                    Measured
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {output.units.map((u, i) => (
                <tr key={`${u.hook}#${u.index}`} className="static" data-testid="unit-row" data-score={u.score} data-measured={u.measured ?? ''}>
                  <td className="num muted">{i + 1}</td>
                  <td className="mono">{u.hook}</td>
                  <td className="num mono">{input.site.kind === 'sae' ? <FeatureLink saeId={input.site.saeId} idx={u.index} /> : u.index}</td>
                  <td className={`num mono ${u.score >= 0 ? 'at-pos' : 'at-neg'}`}>{signed(u.score)}</td>
                  {verified ? <td className={`num mono ${u.measured === null ? 'muted' : u.measured >= 0 ? 'at-pos' : 'at-neg'}`}>{u.measured === null ? '—' : signed(u.measured)}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className="at-charts">
          <div>
            <h4>Top {Math.min(CHART_UNITS, output.units.length)} scores</h4>
            <ScoreChart units={output.units.slice(0, CHART_UNITS)} kind={kind} />
          </div>
          {verified ? (
            <div>
              <h4>Predicted vs measured</h4>
              <VerifyScatter units={output.units} kind={kind} />
            </div>
          ) : null}
        </div>
      </div>
    </div>
  );
}

/** A correlation is undefined (NaN) when a side has no variance: say so rather than print NaN. */
function corr(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : '—';
}

function VerificationFacts({ v }: { v: Verification }) {
  return (
    <div className="rr-facts at-verify" data-testid="verification">
      <span className="muted">verified by patching each unit:</span>
      <span title="Rank correlation of score and measured change">
        Spearman ρ <span className="mono strong" data-testid="spearman">{corr(v.spearman)}</span>
      </span>
      <span title="Linear correlation of score and measured change">
        Pearson r <span className="mono strong" data-testid="pearson">{corr(v.pearson)}</span>
      </span>
      <span title="Share of units whose score has the sign of the measured change">
        sign agreement <span className="mono strong" data-testid="sign-agreement">{Number.isFinite(v.signAgreement) ? `${(v.signAgreement * 100).toFixed(0)}%` : '—'}</span>
      </span>
      <span className="muted" title="Model runs the verification took (the patched units are batched)">
        {v.forwards} forward pass{v.forwards === 1 ? '' : 'es'}
      </span>
    </div>
  );
}
