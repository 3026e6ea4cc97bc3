import { CiteLine } from '../ui/CiteLine';
import { FeatureLink } from '../ui/FeatureLink';
import { signed } from '../ui/charts/attribution';
import { PathChart } from './PathChart';
import type { ShownProbe } from './ProbePanel';

const percent = (v: number) => `${(v * 100).toFixed(1)}%`;

/** The regularisation path, the smallest set reaching the target, and where the probe is logged. */
export function ProbeResult({ shown }: { shown: ShownProbe }) {
  const { input, output, sae } = shown;
  const target = input.targetAccuracy ?? 0.9;
  const smallest = output.smallest;
  const best = output.path.reduce((b, s) => (s.testAccuracy > b.testAccuracy ? s : b), output.path[0] ?? { testAccuracy: 0, features: [], lambda: 0, trainAccuracy: 0 });
  const unitName = sae ? 'Feature' : 'Unit';
  const maxCoef = Math.max(1e-12, ...(smallest?.features.map((f) => Math.abs(f.coef)) ?? []));
  return (
    <div className="at-result" data-testid="probe-result" data-cite={output.experiment.citeId}>
      <div className="rr-facts">
        <span>
          <span className="mono strong">{output.prompts}</span> prompts · <span className="mono strong">{output.width.toLocaleString()}</span> {sae ? `features of ${sae.name}` : `units at ${input.hook}`}
        </span>
        <span className="sep" />
        {smallest ? (
          <span data-testid="probe-verdict">
            <span className="mono strong">{smallest.features.length}</span> {smallest.features.length === 1 ? 'unit reaches' : 'units reach'} {percent(smallest.testAccuracy)} held-out (target {percent(target)})
          </span>
        ) : (
          <span className="warn-text" data-testid="probe-verdict">
            No λ reaches the target {percent(target)}; the best held-out accuracy is {percent(best.testAccuracy)} with {best.features.length} units
          </span>
        )}
        <span className="sep" />
        <CiteLine citeId={output.experiment.citeId} />
        <span className="muted rr-seconds">{shown.seconds.toFixed(1)} s</span>
      </div>
      <div className="pa-probe-grid">
        <div className="at-charts">
          <h4>
            Regularisation path · {output.path.length} values of <span className="pa-keepcase">λ</span>
          </h4>
          <PathChart path={output.path} targetAccuracy={target} chosenLambda={smallest?.lambda ?? null} />
        </div>
        <div className="at-table-wrap">
          <h4>
            Smallest set{smallest ? <span className="pa-keepcase"> · λ {smallest.lambda.toPrecision(3)}</span> : null}
          </h4>
          {smallest ? (
            <>
              <table className="table compact" aria-label="Smallest set">
                <thead>
                  <tr>
                    <th className="num">#</th>
                    <th className="num">{unitName}</th>
                    <th className="num" title="Weight on the unit's raw activation; positive pushes towards label 1">
                      Coefficient
                    </th>
                    <th aria-label="Coefficient bar" />
                  </tr>
                </thead>
                <tbody>
                  {smallest.features.map((f, i) => (
                    <tr key={f.index} className="static" data-testid="smallest-row" data-index={f.index} data-coef={f.coef}>
                      <td className="num muted">{i + 1}</td>
                      <td className="num mono">{sae ? <FeatureLink saeId={sae.id} idx={f.index} /> : f.index}</td>
                      <td className={`num mono ${f.coef >= 0 ? 'at-pos' : 'at-neg'}`}>{signed(f.coef)}</td>
                      <td className="pa-bar-cell">
                        <span className={`pa-bar ${f.coef >= 0 ? 'pos' : 'neg'}`} style={{ width: `${(Math.abs(f.coef) / maxCoef) * 100}%` }} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <p className="muted at-note">
                {sae
                  ? output.tagged.length > 0
                    ? `Tagged probe:${input.name} on ${output.tagged.length} feature${output.tagged.length === 1 ? '' : 's'} of ${sae.name}; the Features view (Alt+3) filters by tag.`
                    : 'No feature tagged.'
                  : `Indices are units of ${input.hook}.`}
              </p>
            </>
          ) : (
            <p className="muted">Lower the target accuracy, add prompts, or try another hook.</p>
          )}
        </div>
      </div>
    </div>
  );
}
