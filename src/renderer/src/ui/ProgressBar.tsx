import type { Progress } from '@shared/contract';
import { formatDuration, formatNumber } from './format';

/**
 * What a running job is doing now, in words: its phase (the job's message, e.g. "evaluating") and
 * how far that phase is, "3 / 32 windows". A job's phases count different things, so the bar is
 * the phase's, and the label says which phase it is.
 */
export function phaseLabel(progress: Progress): string {
  const count = progress.total > 0 ? `${formatNumber(progress.done)} / ${formatNumber(progress.total)} ${progress.unit}` : `${formatNumber(progress.done)} ${progress.unit}`;
  const message = progress.message?.trim();
  // A message that already counts this phase's unit ("1,200 tokens stored") says what the count says.
  const counts = message !== undefined && new RegExp(`\\d\\s*${progress.unit.replace(/[^\w]/g, '')}`).test(message);
  return message && !counts ? `${message} ${count}` : count;
}

export function ProgressBar({ progress, state }: { progress: Progress | undefined; state: string }) {
  const fraction = state === 'finished' ? 1 : (progress?.fraction ?? 0);
  const running = progress && state === 'running';
  return (
    <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(fraction * 100)} aria-valuetext={running ? phaseLabel(progress) : undefined}>
      <div className={`progress-fill state-${state}`} style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      <span className="progress-label" data-testid="progress-label" title={running ? phaseLabel(progress) : undefined}>
        {`${(fraction * 100).toFixed(0)}%`}
        {running ? ` · ${phaseLabel(progress)}${progress.etaSeconds !== null ? ` · ETA ${formatDuration(progress.etaSeconds)}` : ''}` : ''}
      </span>
    </div>
  );
}
