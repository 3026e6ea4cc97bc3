import { useEffect } from 'react';
import { useCommand } from '../api/hooks';
import { useNavigate } from '../app/navigation';
import { QuantileExamples, TopExamples } from './Examples';
import { HistogramChart } from './HistogramChart';
import { isEditable } from './keys';
import { LabelEditor } from './LabelEditor';
import { LogitChart } from './LogitChart';
import { NotesPanel } from './NotesPanel';
import { TagsPanel } from './TagsPanel';
import { formatAct, formatDensity } from './tokens';
import { Token } from '../ui/Token';
import { examplePrompt } from './example-prompt';
import { WatchlistAdd } from './WatchlistAdd';
import { formatExplanationScore } from '@shared/format-explanation-score';

interface Props {
  saeId: number;
  idx: number;
  /** Owns the keyboard (Esc / Alt+← go back). */
  active: boolean;
  onBack: () => void;
}

/** Everything the catalog knows about one feature; re-read whenever the catalog changes. */
export function FeaturePageView({ saeId, idx, active, onBack }: Props) {
  const page = useCommand('catalog.feature', { saeId, idx }, ['catalog.changed']);
  const navigate = useNavigate();

  useEffect(() => {
    if (!active) return;
    const onKey = (e: KeyboardEvent) => {
      const back = (e.key === 'Escape' && !isEditable(e.target)) || (e.altKey && e.key === 'ArrowLeft');
      if (back) {
        e.preventDefault();
        onBack();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [active, onBack]);

  const head = (
    <div className="fp-head">
      <button className="btn small" onClick={onBack} title="Back to the list (Esc, Alt+←)">
        ← Back
      </button>
      <h2>Feature {idx}</h2>
      {page.data ? (
        <span className="muted mono">
          {page.data.sae.name} · {page.data.sae.hookName} · {page.data.sae.architecture} · d_sae {page.data.sae.dSae.toLocaleString()}
        </span>
      ) : null}
      {page.loading && page.data ? <span className="muted">refreshing…</span> : null}
      <span className="fp-actions">
        <button className="btn small" onClick={() => { const prompt = page.data ? examplePrompt(page.data.examples) : undefined; navigate({ to: 'playground', saeId, idx, ...(prompt ? { prompt } : {}) }); }} title="Open the playground on this feature's top example, with the feature as the probe and a steering slider for it">
          Try in playground
        </button>
        <WatchlistAdd saeId={saeId} idx={idx} />
      </span>
    </div>
  );

  if (page.error && !page.data) {
    return (
      <div className="fp" data-testid="feature-page">
        {head}
        <p className="error-text" role="alert">
          {page.error.message}
        </p>
      </div>
    );
  }
  if (!page.data) {
    return (
      <div className="fp" data-testid="feature-page">
        {head}
        <p className="muted">Loading feature {idx}…</p>
      </div>
    );
  }

  const { feature, label, examples, logitEffects, tags, notes } = page.data;
  return (
    <div className="fp" data-testid="feature-page" data-idx={idx}>
      {head}
      <div className="fp-body">
        <section className="panel fp-summary">
          <LabelEditor saeId={saeId} idx={idx} label={label.user} onSaved={page.reload} />
          <p className="fp-auto" data-testid="auto-explanation">
            <span className="muted">automatic: </span>
            {label.auto || <span className="muted">this feature never fired on the analysed corpus</span>}
          </p>
          {label.auto ? (
            <p
              className="fp-auto-score muted"
              data-testid="explanation-score"
              title="How well the explanation's tokens predict where the feature fires (at ½ of its max or more), on every 5th corpus window, which its examples were not taken from. — : not scored (analysed before scores existed, or nothing to score)."
            >
              {page.data.separator ? <span data-testid="explanation-separator">{page.data.separator} · </span> : null}
              held-out score: {formatExplanationScore(page.data.explanationScore)}
            </p>
          ) : null}
          <dl className="fp-stats">
            <div>
              <dt>density</dt>
              <dd className="mono" data-testid="density">
                {formatDensity(feature.density)}
              </dd>
            </div>
            <div>
              <dt>max act</dt>
              <dd className="mono" data-testid="max-act">
                {formatAct(feature.maxAct)}
              </dd>
            </div>
            <div>
              <dt>mean act</dt>
              <dd className="mono">{formatAct(feature.meanAct)}</dd>
            </div>
            <div>
              <dt>top tokens</dt>
              <dd>
                {feature.topTokens.map((t, i) => (
                  <span key={i} className="tok-chip">
                    <Token text={t} />
                  </span>
                ))}
              </dd>
            </div>
          </dl>
          <h4>Tags</h4>
          <TagsPanel saeId={saeId} idx={idx} tags={tags} onChanged={page.reload} />
        </section>
        <div className="fp-grid">
          <section className="panel">
            <h4>Activation histogram</h4>
            {feature.histogram ? <HistogramChart histogram={feature.histogram} /> : <p className="muted">No histogram was stored for this feature.</p>}
          </section>
          <section className="panel">
            <h4>Logit effects</h4>
            {logitEffects && (logitEffects.promoted.length > 0 || logitEffects.suppressed.length > 0) ? (
              <LogitChart effects={logitEffects} />
            ) : (
              <p className="muted">No logit effects were stored for this feature.</p>
            )}
          </section>
        </div>
        <section className="panel">
          <h4>Top examples</h4>
          <TopExamples examples={examples} featureMax={feature.maxAct} />
        </section>
        <div className="fp-grid">
          <section className="panel">
            <h4>Quantile samples</h4>
            <QuantileExamples examples={examples} featureMax={feature.maxAct} />
          </section>
          <section className="panel">
            <h4>Notes</h4>
            <NotesPanel saeId={saeId} idx={idx} notes={notes} onChanged={page.reload} />
          </section>
        </div>
      </div>
    </div>
  );
}
