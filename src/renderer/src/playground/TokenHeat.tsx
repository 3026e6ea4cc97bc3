import type { RunOutput } from '@shared/contract';
import { formatAct, visibleToken } from '../features/tokens';
import { Token } from '../ui/Token';
import { tokenTitle } from '@shared/token-display';

/** Orange for positive, blue for negative, opacity by |value| / scale. */
function heat(value: number, scale: number): string | undefined {
  if (!(scale > 0) || value === 0) return undefined;
  const f = Math.min(1, Math.abs(value) / scale);
  const a = (0.08 + 0.82 * f).toFixed(3);
  return value > 0 ? `rgba(245, 140, 60, ${a})` : `rgba(90, 150, 230, ${a})`;
}

/**
 * The prompt's tokens, each shaded by the probe's activation there. The scale is the feature's max
 * activation from the analysis when known (so heat compares across prompts), else this prompt's max |value|.
 */
export function TokenHeat({ tokens, probe, scaleMax, scaleNote = "shaded against the feature's max" }: { tokens: RunOutput['tokens']; probe: RunOutput['probe']; scaleMax: number | null; scaleNote?: string }) {
  const values = probe?.values ?? [];
  const runMax = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const scale = scaleMax !== null && scaleMax > 0 ? scaleMax : runMax;
  return (
    <div className="token-heat" data-testid="token-heat" data-probe={probe?.label}>
      <div className="token-heat-tokens">
        {tokens.map((t, i) => {
          const v = values[i];
          return (
            <span
              key={i}
              className={`tok ${t.text === '' ? 'continued' : ''}`}
              style={{ background: v === undefined ? undefined : heat(v, scale) }}
              title={[v === undefined ? `token ${t.id}` : `${visibleToken(t.text)} · ${probe!.label} = ${formatAct(v)}`, tokenTitle(t.text)].filter(Boolean).join('\n')}
              data-value={v}
              data-token={t.text}
            >
              <Token text={t.text} form="inline" />
            </span>
          );
        })}
      </div>
      {probe ? (
        <div className="muted token-heat-legend">
          {probe.label} · max |value| in prompt {formatAct(runMax)}
          {scaleMax !== null && scaleMax > 0 ? ` · ${scaleNote} ${formatAct(scaleMax)}` : ''}
        </div>
      ) : null}
    </div>
  );
}
