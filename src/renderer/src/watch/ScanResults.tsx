import { useMemo } from 'react';
import type { ScanRunResult } from '@shared/contract';
import { AXIS_TEXT, SPLIT_LINE, useEChart } from '../ui/charts/echarts';
import { TopExamples } from '../features/Examples';
import type { StoredExample } from '../features/types';
import { formatAct } from '../features/tokens';
import { useNavigate } from '../app/navigation';
import { FeatureLink } from '../ui/FeatureLink';
import { formatNumber } from '../ui/format';

type FeatureResult = ScanRunResult['features'][number];

/** Flagged contexts per feature, one bar each (the report draws the same). */
function CountsChart({ features }: { features: FeatureResult[] }) {
  const option = useMemo(
    () => ({
      animation: false,
      grid: { left: 8, right: 24, top: 6, bottom: 22, containLabel: true },
      tooltip: { trigger: 'item', formatter: (p: { dataIndex: number }) => `feature ${features[p.dataIndex]!.idx}: ${features[p.dataIndex]!.flagged} flagged contexts` },
      xAxis: { type: 'value', minInterval: 1, axisLabel: AXIS_TEXT, splitLine: SPLIT_LINE },
      yAxis: { type: 'category', inverse: true, data: features.map((f) => `#${f.idx}`), axisLabel: { color: '#c4cad1', fontSize: 11, fontFamily: 'DejaVu Sans Mono, monospace' }, axisTick: { show: false } },
      series: [{ type: 'bar', barCategoryGap: '30%', data: features.map((f) => f.flagged), itemStyle: { color: '#d98a45' }, label: { show: true, position: 'right', color: '#c4cad1', fontSize: 11 } }],
    }),
    [features],
  );
  const el = useEChart(option);
  return <div ref={el} className="chart" style={{ height: 34 + features.length * 24 }} aria-label="flagged contexts chart" data-features={features.length} />;
}

/** The flagged contexts of one feature, heat-highlighted like the feature page's examples. */
function FeatureFlags({ f, saeId }: { f: FeatureResult; saeId: number }) {
  const examples = useMemo(
    (): StoredExample[] => f.top.map((c, rank) => ({ kind: 'top', bucket: 0, rank, maxAct: c.peak, tokens: c.tokens, values: c.values, doc: c.doc, start: c.position })),
    [f],
  );
  return (
    <section className="watch-feature" data-idx={f.idx} data-flagged={f.flagged} aria-label={`Flagged contexts of feature ${f.idx}`}>
      <h4 className="watch-feature-head">
        <FeatureLink saeId={saeId} idx={f.idx}>#{f.idx}</FeatureLink> {f.label ? <span className="watch-title">{f.label}</span> : null}
        <span className="muted">
          {' '}
          · {f.flagged} flagged ({f.flaggedTokens} tokens &gt; {formatAct(f.threshold)}) · max {formatAct(f.maxAct)}
        </span>
      </h4>
      {f.top.length === 0 ? (
        <p className="muted">No context exceeded the threshold.</p>
      ) : (
        <>
          <TopExamples examples={examples} featureMax={Math.max(f.maxAct, f.threshold)} />
          <p className="muted watch-where">Where, top to bottom: {f.top.map((c) => `doc ${c.doc} token ${c.position}`).join(' · ')}</p>
        </>
      )}
    </section>
  );
}

export function ScanResults({ result, saeId }: { result: ScanRunResult; saeId: number }) {
  const navigate = useNavigate();
  const flaggedPairs = result.features.reduce((s, f) => s + f.flagged, 0);
  return (
    <section className="panel watch-results" aria-label="Scan results">
      <header className="panel-head">
        <h3>
          Scan of {result.source === 'prompts' ? 'prompts' : 'a corpus'} with {result.watchlist.name}
        </h3>
        <span className="muted">
          {formatNumber(result.tokens)} tokens in {formatNumber(result.contexts)} {result.source === 'prompts' ? 'prompts' : 'windows'} · {result.seconds.toFixed(1)} s · {flaggedPairs} flags
        </span>
      </header>
      <dl className="kv">
        <div className="kv-row">
          <dt>Experiment</dt>
          <dd>
            <span className="mono" data-testid="scan-cite-id">
              {result.experiment.citeId}
            </span>{' '}
            <button type="button" className="btn small" onClick={() => navigate({ to: 'experiment', citeId: result.experiment.citeId })}>
              Open in log
            </button>
          </dd>
        </div>
        <div className="kv-row">
          <dt>Report</dt>
          <dd className="mono" data-testid="scan-report-path">
            {result.reportPath}
          </dd>
        </div>
      </dl>
      <CountsChart features={result.features} />
      {result.features.map((f) => (
        <FeatureFlags key={f.idx} f={f} saeId={saeId} />
      ))}
    </section>
  );
}
