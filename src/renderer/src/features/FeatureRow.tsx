import { memo } from 'react';
import { formatAct, formatDensity } from './tokens';
import type { SearchRow } from './types';
import { Token } from '../ui/Token';
import { formatF1 } from '@shared/format-explanation-score';

export const ROW_HEIGHT = 26;

interface Props {
  index: number;
  top: number;
  row: SearchRow | undefined;
  selected: boolean;
  /** The SAE's largest max activation: a full bar. */
  scaleMax: number;
  onPick: (index: number) => void;
}

/** One line of the explorer. Rows whose page is still loading show their position only. */
export const FeatureRowView = memo(function FeatureRowView({ index, top, row, selected, scaleMax, onPick }: Props) {
  const style = { transform: `translateY(${top}px)`, height: ROW_HEIGHT };
  if (row === undefined) {
    return (
      <div id={`fx-row-${index}`} role="option" aria-selected={selected} className={`fx-row loading ${selected ? 'selected' : ''}`} style={style} data-index={index}>
        <span className="fx-idx mono muted">…</span>
        <span className="fx-label muted">loading</span>
      </div>
    );
  }
  const bar = scaleMax > 0 ? Math.max(0, Math.min(1, row.maxAct / scaleMax)) : 0;
  return (
    <div
      id={`fx-row-${index}`}
      role="option"
      aria-selected={selected}
      className={`fx-row ${selected ? 'selected' : ''}`}
      style={style}
      data-index={index}
      data-idx={row.idx}
      onClick={() => onPick(index)}
    >
      <span className="fx-idx mono">{row.idx}</span>
      <span className="fx-label" title={row.userLabel ? `${row.userLabel} — ${row.explanation}` : row.explanation}>
        {row.userLabel ? (
          <>
            <span className="fx-user-label">{row.userLabel}</span> <span className="muted">{row.explanation}</span>
          </>
        ) : row.explanation ? (
          <>
            {row.explanation}
            {row.separator ? <span className="muted fx-separator"> · {row.separator}</span> : null}
          </>
        ) : (
          <span className="muted">never fired on the corpus</span>
        )}
      </span>
      <span className="fx-tokens">
        {row.topTokens.slice(0, 5).map((t, i) => (
          <span key={i} className="tok-chip">
            <Token text={t} />
          </span>
        ))}
      </span>
      <span className="fx-num mono">{formatDensity(row.density)}</span>
      <span className="fx-maxact mono">
        <span className="fx-bar" aria-hidden="true">
          <span style={{ width: `${(bar * 100).toFixed(1)}%` }} />
        </span>
        <span className="fx-maxact-value">{formatAct(row.maxAct)}</span>
      </span>
      <span className="fx-num mono" data-testid="row-f1" title="F1 of the explanation on held-out windows; — when not scored">
        {formatF1(row.explanationF1)}
      </span>
      <span className="fx-num mono muted" title="bm25 of the feature's own text (higher is better); — when only example text matched">
        {row.score === null ? '—' : (-row.score).toFixed(2)}
      </span>
    </div>
  );
});
