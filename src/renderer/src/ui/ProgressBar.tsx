import type { Progress } from '@shared/contract';
import { formatDuration, formatNumber } from './format';

export function ProgressBar({ progress, state }: { progress: Progress | undefined; state: string }) {
  const fraction = state === 'finished' ? 1 : (progress?.fraction ?? 0);
  return (
    <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(fraction * 100)}>
      <div className={`progress-fill state-${state}`} style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      <span className="progress-label">
        {(fraction * 100).toFixed(0)}%
        {progress && state === 'running' ? (
          <>
            {' · '}
            {formatNumber(progress.rate)} {progress.unit}/s{progress.etaSeconds !== null ? ` · ETA ${formatDuration(progress.etaSeconds)}` : ''}
          </>
        ) : null}
      </span>
    </div>
  );
}
