import { CiteLine } from '../ui/CiteLine';
import { signed } from '../ui/charts/attribution';
import { DistributionsChart, patchRows } from './DistributionsChart';
import { describeMetric } from './inputs';
import type { ShownPatch } from './PatchPanel';

/** Units listed under the chart; the rest are counted. */
const LISTED_UNITS = 50;

/** KLs, the three next-token distributions as one chart, the metric, and the units that were moved. */
export function PatchResult({ shown }: { shown: ShownPatch }) {
  const { input, output } = shown;
  const rows = patchRows(output);
  const m = output.metric;
  return (
    <div className="at-result" data-testid="patch-result" data-cite={output.experiment.citeId}>
      <div className="rr-facts">
        <span title="KL(after ‖ before): how far the patch moved the target's next-token distribution">
          KL(after ‖ before) <span className="mono strong" data-testid="kl-after-before">{output.klAfterBefore.toPrecision(4)}</span>
        </span>
        <span title="KL(source ‖ target): the gap to the source's distribution, before and after the patch">
          KL(source ‖ target) <span className="mono strong" data-testid="kl-source-before">{output.klSourceBefore.toPrecision(4)}</span> →{' '}
          <span className="mono strong" data-testid="kl-source-after">{output.klSourceAfter.toPrecision(4)}</span> nats
        </span>
        <span className="sep" />
        <CiteLine citeId={output.experiment.citeId} />
        <span className="muted rr-seconds" title="From pressing Patch to the answer">
          {shown.seconds.toFixed(1)} s
        </span>
      </div>
      {m && input.metric ? (
        <div className="rr-facts" data-testid="patch-metric">
          <span className="muted">{describeMetric(input.metric)}</span>
          <span>
            source <span className="mono strong">{m.source.toFixed(4)}</span>
          </span>
          <span>
            target <span className="mono strong">{m.before.toFixed(4)}</span> → <span className="mono strong">{m.after.toFixed(4)}</span>
          </span>
        </div>
      ) : null}
      <div className="at-grid">
        <div>
          <h4>Next token · source, target before, target after</h4>
          <DistributionsChart rows={rows} />
          <p className="muted at-note">A missing bar: that token is outside the distribution’s top {output.before.length}.</p>
        </div>
        <div className="at-table-wrap">
          <h4>
            Patched units · {output.units.length} {input.site.kind === 'sae' ? 'features' : 'neurons'} × {input.scale ?? 1}
          </h4>
          <table className="table compact" aria-label="Patched units">
            <thead>
              <tr>
                <th>Hook</th>
                <th className="num">{input.site.kind === 'sae' ? 'Feature' : 'Neuron'}</th>
                <th className="num" title="source − target activation at the paired positions">
                  Δ source − target
                </th>
              </tr>
            </thead>
            <tbody>
              {output.units.slice(0, LISTED_UNITS).map((u) => (
                <tr key={`${u.hook}#${u.index}`} className="static" data-testid="patched-unit">
                  <td className="mono">{u.hook}</td>
                  <td className="num mono">{u.index}</td>
                  <td className="num mono">{u.deltas.map(signed).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {output.units.length > LISTED_UNITS ? <p className="muted at-note">…and {output.units.length - LISTED_UNITS} more with smaller deltas.</p> : null}
        </div>
      </div>
    </div>
  );
}
