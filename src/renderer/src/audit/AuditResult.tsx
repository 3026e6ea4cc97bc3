import { useState } from 'react';
import type { AuditReplayOutput, AuditRunResult } from '@shared/contract';
import { call, CommandFailed } from '../api/client';
import { useNavigate } from '../app/navigation';
import { signed } from '../ui/charts/attribution';
import { FeatureLink } from '../ui/FeatureLink';
import type { StartedAudit } from './AuditPanel';
import { EffectChart } from './EffectChart';
import { compact, unitLabel } from './units';

type Replay = { state: 'running' } | { state: 'done'; out: AuditReplayOutput } | { state: 'failed'; message: string };

/** Bars beyond this many get too thin to read; the table lists all of them. */
const CHART_FINDINGS = 30;

/** Counts, the effect-size chart, and the findings with their cite ids and a replay each. */
export function AuditResultView({ started, result }: { started: StartedAudit; result: AuditRunResult }) {
  const [replays, setReplays] = useState<Record<string, Replay>>({});
  const navigate = useNavigate();
  const { sideA, sideB } = result.contrastSet;
  const kind = started.sae ? `features of ${started.sae.name}` : started.input.layers ? `MLP neurons of layer${started.input.layers.length === 1 ? '' : 's'} ${started.input.layers.join(', ')}` : 'MLP neurons of every layer';
  const alpha = result.method.alpha;
  const attribute = result.contrastSet.attribute;
  const where = result.method.positions === 'context' ? 'at the tokens both sides share after the swapped words' : 'over every token, swapped words included';

  const replay = async (citeId: string) => {
    setReplays((r) => ({ ...r, [citeId]: { state: 'running' } }));
    try {
      const out = await call('audit.replay', { ref: citeId });
      setReplays((r) => ({ ...r, [citeId]: { state: 'done', out } }));
    } catch (err) {
      setReplays((r) => ({ ...r, [citeId]: { state: 'failed', message: err instanceof CommandFailed ? err.message : String(err) } }));
    }
  };

  return (
    <div className="at-result" data-testid="audit-result">
      <div className="rr-facts" data-testid="audit-counts">
        <span title={`Compared ${where}; pairs with nothing shared after the swap are left out`}>
          <span className="mono strong" data-testid="count-pairs">{result.comparedPairs}</span> of {result.pairs} pairs compared
        </span>
        <span className="sep" />
        <span>
          <span className="mono strong" data-testid="count-units">{result.unitsTested.toLocaleString()}</span> {kind} tested
        </span>
        <span className="sep" />
        <span>
          <span className="mono strong" data-testid="count-significant">{result.significant.toLocaleString()}</span> encode {attribute}{' '}
          <span className="muted" title={`q < ${alpha} (permutation test, Benjamini–Hochberg) and |d| ≥ ${result.method.minEffect}; ${result.significantBeforeFloor} passed q before the effect-size floor`}>
            (q &lt; {alpha}, |d| ≥ {result.method.minEffect})
          </span>
        </span>
        <span className="sep" />
        <span title={result.outcome ? `Verified by patching: moves ${result.outcome.label} toward ${sideB} by ≥ ${result.method.minShare} of the model's own gap (${compact(result.outcome.gapMean)})` : (result.outcomeNote ?? 'The outcome was not measured: nothing is tagged bias')}>
          <span className="mono strong" data-testid="count-bias">{result.biasDrivers}</span> drive the biased outcome
        </span>
        <span className="sep" />
        <span className="muted">{result.findings.length} shown, bias drivers first</span>
        <span className="sep" />
        <span className="muted" title={result.contrastSet.title}>
          set {result.contrastSet.id} v{result.contrastSet.version}: {sideA} vs {sideB}
        </span>
        {result.sae ? (
          <>
            <span className="sep" />
            <span className="muted" data-testid="audit-sae" title={`content sha256 ${result.sae.contentHash}`}>
              SAE {result.sae.name} · {result.sae.architecture} · {result.sae.width} features at {result.sae.hook}
            </span>
          </>
        ) : null}
      </div>
      <div className="pa-report" data-testid="report-path">
        <span className="muted">Report</span> <span className="mono" title="A self-contained HTML file: open it in any browser">{result.reportPath}</span>
        {result.exportedTo ? (
          <>
            {' '}
            <span className="muted">· also written to</span> <span className="mono">{result.exportedTo}</span>
          </>
        ) : null}
      </div>
      {result.findings.length === 0 ? (
        <p className="muted" data-testid="no-findings">
          No unit passes q &lt; {alpha} and |d| ≥ {result.method.minEffect} {where}: none responds to {sideA} and {sideB} differently there.
        </p>
      ) : (
        <div className="pa-audit-grid">
          <div className="at-table-wrap">
            <table className="table compact" aria-label="Findings">
              <thead>
                <tr>
                  <th className="num">#</th>
                  <th>Unit</th>
                  <th className="num" title={`Mean pooled activation on the ${sideA} side`}>
                    Mean {sideA}
                  </th>
                  <th className="num" title={`Mean pooled activation on the ${sideB} side`}>
                    Mean {sideB}
                  </th>
                  <th className="num" title="Mean paired difference over its standard deviation">
                    d
                  </th>
                  <th className="num" title="Benjamini–Hochberg q of the paired permutation test">
                    q
                  </th>
                  <th className="num" title={result.outcome ? `Change of ${result.outcome.label} when the unit takes its ${sideB} value at the compared positions: predicted (attribution) / measured (patch)` : 'No outcome in this set'}>
                    Outcome effect
                  </th>
                  <th className="num" title="Standardised weight in the lasso probe (0: not used)">
                    Probe
                  </th>
                  <th title={`bias: encodes ${attribute} and drives the biased outcome (verified); ${attribute}-sensitive: encodes it only. Tagged in the catalog for SAE features.`}>Role</th>
                  <th>Cite id</th>
                  <th>Replay</th>
                </tr>
              </thead>
              <tbody>
                {result.findings.map((f, i) => {
                  const r = replays[f.citeId];
                  return (
                    <tr key={f.citeId} className="static" data-testid="finding-row" data-cite={f.citeId} data-unit={`${f.hook}[${f.index}]`}>
                      <td className="num muted">{i + 1}</td>
                      <td className="mono" title={`${f.hook}[${f.index}]`}>
                        {f.unitKind === 'sae-feature' && started.sae ? <FeatureLink saeId={started.sae.id} idx={f.index}>{unitLabel(f)}</FeatureLink> : unitLabel(f)}
                        {f.label ? (
                          <span className="muted pa-label" data-testid="finding-label" title={f.label}>
                            {f.label.length > 32 ? `${f.label.slice(0, 31)}…` : f.label}
                          </span>
                        ) : null}
                      </td>
                      <td className="num mono">{compact(f.meanA)}</td>
                      <td className="num mono">{compact(f.meanB)}</td>
                      <td className={`num mono ${f.cohenD >= 0 ? 'pa-side-b' : 'pa-side-a'}`}>{signed(f.cohenD)}</td>
                      <td className="num mono">{compact(f.q)}</td>
                      <td className="num mono" title={f.effectQ === null ? 'predicted only (not verified)' : `verified by patching, q ${compact(f.effectQ)}`}>
                        {f.attribution === null ? <span className="muted">—</span> : signed(f.attribution)}
                        {f.measuredEffect === null ? null : <span className="muted"> / {signed(f.measuredEffect)}</span>}
                      </td>
                      <td className="num mono">{f.probeWeight === 0 ? <span className="muted">0</span> : signed(f.probeWeight)}</td>
                      <td>
                        <span className={f.role === 'bias' ? 'badge pa-tag' : 'badge'} data-testid="finding-role">
                          {f.tag ?? (f.role === 'bias' ? 'bias' : `${attribute}-sensitive`)}
                        </span>
                      </td>
                      <td className="mono">
                        <button type="button" className="link-button mono" onClick={() => navigate({ to: 'experiment', citeId: f.citeId })} title="Open in the Experiment log">
                          {f.citeId}
                        </button>
                      </td>
                      <td className="pa-replay">
                        {r?.state === 'done' ? (
                          <span className={r.out.matches ? 'ok-text' : 'warn-text'} data-testid="replay-verdict" title={`mean difference ${compact(r.out.meanDiff)}, t ${compact(r.out.t)}${r.out.method === 'all-legacy' ? '; made by the old method (every token pooled, the swapped words included): run the audit again' : ''}`}>
                            {r.out.matches ? 'matches' : 'differs'}
                            {r.out.method === 'all-legacy' ? ' (old method)' : ''}
                          </span>
                        ) : r?.state === 'failed' ? (
                          <span className="error-text" data-testid="replay-verdict">
                            {r.message}
                          </span>
                        ) : (
                          <button type="button" className="btn small" disabled={r?.state === 'running'} onClick={() => void replay(f.citeId)} aria-label={`Replay ${f.citeId}`}>
                            {r?.state === 'running' ? 'Replaying…' : 'Replay'}
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <div className="at-charts">
            <h4>
              Cohen’s d · <span className="pa-side-a pa-keepcase">← {sideA}</span> · <span className="pa-side-b pa-keepcase">{sideB} →</span>
            </h4>
            <EffectChart findings={result.findings.slice(0, CHART_FINDINGS)} sideA={sideA} sideB={sideB} />
          </div>
        </div>
      )}
    </div>
  );
}
