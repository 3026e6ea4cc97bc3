// What a logged experiment that is not a playground run found (audit findings, attribution, probes,
// scans): the row's summary in words and, for an audit finding, its evidence and the tag it set.
// The playground's baseline/intervened pair has its own view (RunResult).
import { summarize } from './row-summary';
import type { LoggedExperiment } from './logged';

type Json = Record<string, unknown>;
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const fixed = (v: number | undefined, digits: number) => (v === undefined ? '—' : v.toFixed(digits));
const precise = (v: number | undefined) => (v === undefined ? '—' : v.toPrecision(3));

export function LoggedFindings({ experiment }: { experiment: LoggedExperiment }) {
  const summary = summarize(experiment);
  const inputs = experiment.inputs as Json;
  const outputs = experiment.outputs as Json;
  const finding = experiment.kind === 'audit' && inputs.kind === 'audit-finding';
  return (
    <dl className="kv exp-inputs" data-testid="logged-findings">
      <dt>About</dt>
      <dd data-testid="logged-subject">
        {summary.subject}
        {finding && str(outputs.hook) ? <span className="muted mono"> at {str(outputs.hook)}</span> : null}
      </dd>
      <dt>Context</dt>
      <dd>{summary.context}</dd>
      {finding ? (
        <>
          <dt>Finding</dt>
          <dd data-testid="logged-role">{outputs.role === 'bias' ? 'drives the biased outcome (verified by patching)' : 'encodes the attribute'}</dd>
          <dt>Tag set</dt>
          <dd data-testid="logged-tag">{str(outputs.tag) ?? <span className="muted">none (neurons are not tagged)</span>}</dd>
          <dt>Effect size</dt>
          <dd className="mono">
            d {fixed(num(outputs.cohenD), 2)} · q {precise(num(outputs.q))}
          </dd>
          <dt>Means</dt>
          <dd className="mono">
            side a {precise(num(outputs.meanA))} · side b {precise(num(outputs.meanB))}
          </dd>
          {num(outputs.measuredEffect) !== undefined ? (
            <>
              <dt>Outcome shift</dt>
              <dd className="mono">{precise(num(outputs.measuredEffect))} (patched, b into a)</dd>
            </>
          ) : null}
          {num(outputs.comparedPairs) !== undefined ? (
            <>
              <dt>Pairs compared</dt>
              <dd>{num(outputs.comparedPairs)}</dd>
            </>
          ) : null}
        </>
      ) : (
        <>
          <dt>Result</dt>
          <dd>{summary.figure}</dd>
        </>
      )}
    </dl>
  );
}
