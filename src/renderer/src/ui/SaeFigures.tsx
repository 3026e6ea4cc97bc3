import type { FigureGroup } from './sae-figures';

/**
 * Figures, one line per source, each line saying where its figures come from. Each value carries
 * its key as data-metric, or as data-figure where data-metric already names something else (the
 * Jobs detail's charts).
 */
export function SaeFigures({ groups, empty, testId, keyAttribute = 'data-metric' }: { groups: FigureGroup[]; empty?: string; testId?: string; keyAttribute?: 'data-metric' | 'data-figure' }) {
  if (groups.length === 0) return empty ? <span className="muted">{empty}</span> : null;
  return (
    <div className="sae-figures" data-testid={testId}>
      {groups.map((g) => (
        <div key={g.source} className="figure-group" data-source={g.source}>
          <span className="figure-source">{g.heading}:</span>{' '}
          {g.figures.map((f, i) => (
            <span key={f.key} className="figure" title={f.title}>
              {i > 0 ? ' · ' : ''}
              {f.label}{' '}
              <span className="figure-value mono" {...{ [keyAttribute]: f.key }}>
                {f.text}
              </span>
            </span>
          ))}
          {g.note ? <span className="figure-note muted"> — {g.note}</span> : null}
        </div>
      ))}
    </div>
  );
}
