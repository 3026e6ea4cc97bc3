import { useMemo, useState } from 'react';
import { formatAct, formatFloat32, heatBackground, heatFraction, peakIndex } from './tokens';
import type { StoredExample } from './types';
import { Token } from '../ui/Token';
import { tokenTitle } from '@shared/token-display';

/** Long contexts show this many tokens before and after their peak until expanded. */
const BEFORE_PEAK = 32;
const AFTER_PEAK = 12;

interface Tip {
  token: string;
  value: number;
  fraction: number;
  left: number;
  top: number;
}

/** One context: tokens side by side, background ∝ activation / feature max, whitespace visible. */
function ExampleLine({ example, featureMax }: { example: StoredExample; featureMax: number }) {
  const [expanded, setExpanded] = useState(false);
  const peak = peakIndex(example.values);
  const from = expanded ? 0 : Math.max(0, peak - BEFORE_PEAK);
  const to = expanded ? example.tokens.length : Math.min(example.tokens.length, peak + AFTER_PEAK + 1);
  return (
    <div className="fp-example" data-kind={example.kind} data-bucket={example.bucket}>
      <span className="fp-example-max mono" title="highest activation in this context">
        {formatAct(example.maxAct)}
      </span>
      <span className="fp-example-tokens">
        {from > 0 ? (
          <button className="fp-more" onClick={() => setExpanded(true)} title={`show ${from} earlier tokens`}>
            …
          </button>
        ) : null}
        {example.tokens.slice(from, to).map((token, k) => {
          const i = from + k;
          const value = example.values[i] ?? 0;
          const fraction = heatFraction(value, featureMax);
          return (
            <span
              key={i}
              className={`tok ${i === peak ? 'peak' : ''} ${fraction === 0 ? 'cold' : ''} ${token === '' ? 'continued' : ''}`}
              style={{ background: heatBackground(fraction) }}
              data-value={value}
              data-token={token}
            >
              <Token text={token} form="inline" />
            </span>
          );
        })}
        {to < example.tokens.length ? (
          <button className="fp-more" onClick={() => setExpanded(true)} title={`show ${example.tokens.length - to} later tokens`}>
            …
          </button>
        ) : null}
      </span>
    </div>
  );
}

/** Hovering a token shows its exact value; one tooltip serves every token of the page. */
function useTokenTip(featureMax: number) {
  const [tip, setTip] = useState<Tip | null>(null);
  const onMouseOver = (e: React.MouseEvent) => {
    const el = (e.target as HTMLElement).closest<HTMLElement>('.tok');
    if (!el) return setTip(null);
    const rect = el.getBoundingClientRect();
    const value = Number(el.dataset.value);
    setTip({ token: el.dataset.token ?? '', value, fraction: heatFraction(value, featureMax), left: rect.left, top: rect.bottom + 4 });
  };
  const view =
    tip === null ? null : (
      <div className="tok-tip" role="tooltip" style={{ left: tip.left, top: tip.top }}>
        <span className="mono">
          <Token text={tip.token} />
        </span> <b className="mono">{formatFloat32(tip.value)}</b>{' '}
        <span className="muted">({(tip.fraction * 100).toFixed(0)}% of max)</span>
        {tokenTitle(tip.token) ? <div className="muted">{tokenTitle(tip.token)}</div> : null}
      </div>
    );
  return { onMouseOver, onMouseLeave: () => setTip(null), view };
}

export function TopExamples({ examples, featureMax }: { examples: StoredExample[]; featureMax: number }) {
  const tip = useTokenTip(featureMax);
  const top = useMemo(() => examples.filter((e) => e.kind === 'top').sort((a, b) => a.rank - b.rank), [examples]);
  if (top.length === 0) return <p className="muted">No top examples were stored for this feature.</p>;
  return (
    <div className="fp-examples" data-testid="top-examples" onMouseOver={tip.onMouseOver} onMouseLeave={tip.onMouseLeave}>
      {top.map((e) => (
        <ExampleLine key={`${e.bucket}:${e.rank}`} example={e} featureMax={featureMax} />
      ))}
      {tip.view}
    </div>
  );
}

/** Samples from activation quantiles, highest bucket first, each with the activation range it covers. */
export function QuantileExamples({ examples, featureMax }: { examples: StoredExample[]; featureMax: number }) {
  const tip = useTokenTip(featureMax);
  const buckets = useMemo(() => {
    const by = new Map<number, StoredExample[]>();
    for (const e of examples) if (e.kind === 'quantile') by.set(e.bucket, [...(by.get(e.bucket) ?? []), e]);
    return [...by.entries()].sort((a, b) => b[0] - a[0]).map(([bucket, list]) => ({ bucket, list: list.sort((a, b) => a.rank - b.rank) }));
  }, [examples]);
  if (buckets.length === 0) return <p className="muted">No quantile samples were stored for this feature.</p>;
  return (
    <div className="fp-examples" data-testid="quantile-examples" onMouseOver={tip.onMouseOver} onMouseLeave={tip.onMouseLeave}>
      {buckets.map(({ bucket, list }) => {
        const acts = list.map((e) => e.maxAct);
        return (
          <section key={bucket} className="fp-bucket" data-bucket={bucket} aria-label={`Quantile bucket ${bucket}`}>
            <h5>
              bucket {bucket} <span className="muted">· max act {formatAct(Math.min(...acts))} – {formatAct(Math.max(...acts))} · {list.length} samples</span>
            </h5>
            {list.map((e) => (
              <ExampleLine key={`${e.bucket}:${e.rank}`} example={e} featureMax={featureMax} />
            ))}
          </section>
        );
      })}
      {tip.view}
    </div>
  );
}
