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
  const alpha = started.input.alpha ?? 0.05;

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
        <span>
          <span className="mono strong" data-testid="count-pairs">{result.pairs}</span> pairs
        </span>
        <span className="sep" />
        <span>
          <span className="mono strong" data-testid="count-units">{result.unitsTested.toLocaleString()}</span> {kind} tested
        </span>
        <span className="sep" />
        <span>
          <span className="mono strong" data-testid="count-significant">{result.significant.toLocaleString()}</span> significant at q &lt; {alpha}
        </span>
        <span className="sep" />
        <span className="muted">
          {result.findings.length} shown, by |Cohen’s d|
        </span>
        <span className="sep" />
        <span className="muted" title={result.contrastSet.title}>
          set {result.contrastSet.id}: {sideA} vs {sideB}
        </span>
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
          No unit passes q &lt; {alpha}: at this false-discovery rate none responds to {sideA} and {sideB} differently.
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
                  <th className="num" title="Benjamini–Hochberg q of the paired t-test">
                    q
                  </th>
                  <th className="num" title={`Predicted change of logit(${sideA}) − logit(${sideB}) when the unit takes its ${sideB} value`}>
                    Attribution
                  </th>
                  <th className="num" title="Standardised weight in the lasso probe (0: not used)">
                    Probe
                  </th>
                  <th title="Tagged bias in the catalog (SAE features)">Tag</th>
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
                      </td>
                      <td className="num mono">{compact(f.meanA)}</td>
                      <td className="num mono">{compact(f.meanB)}</td>
                      <td className={`num mono ${f.cohenD >= 0 ? 'pa-side-b' : 'pa-side-a'}`}>{signed(f.cohenD)}</td>
                      <td className="num mono">{compact(f.q)}</td>
                      <td className="num mono">{f.attribution === null ? <span className="muted">—</span> : signed(f.attribution)}</td>
                      <td className="num mono">{f.probeWeight === 0 ? <span className="muted">0</span> : signed(f.probeWeight)}</td>
                      <td>{f.tagged ? <span className="badge pa-tag">bias</span> : <span className="muted">—</span>}</td>
                      <td className="mono">
                        <button type="button" className="link-button mono" onClick={() => navigate({ to: 'experiment', citeId: f.citeId })} title="Open in the Experiment log">
                          {f.citeId}
                        </button>
                      </td>
                      <td className="pa-replay">
                        {r?.state === 'done' ? (
                          <span className={r.out.matches ? 'ok-text' : 'warn-text'} data-testid="replay-verdict" title={`mean difference ${compact(r.out.meanDiff)}, t ${compact(r.out.t)}, p ${compact(r.out.p)}`}>
                            {r.out.matches ? 'matches' : 'differs'}
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
