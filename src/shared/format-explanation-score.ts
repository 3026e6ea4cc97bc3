import type { ExplanationScore } from './contract/records';

/**
 * An explanation's score as the app and the CLI's text show it. "Not scored" (a catalog analysed
 * before scores existed, or a feature with nothing to score) is "—", never 0.
 */
export function formatF1(f1: number | null | undefined): string {
  return f1 === null || f1 === undefined ? '—' : f1.toFixed(2);
}

/** `F1 0.93 · precision 0.90 · recall 0.96 · 412 firings in 10,240 held-out tokens`, or `— (not scored)`. */
export function formatExplanationScore(score: ExplanationScore | null | undefined): string {
  if (score === null || score === undefined) return '— (not scored)';
  const count = (n: number) => n.toLocaleString('en-US');
  return [
    `F1 ${formatF1(score.f1)}`,
    `precision ${formatF1(score.precision)}`,
    `recall ${formatF1(score.recall)}`,
    `${count(score.heldOutFirings)} firing${score.heldOutFirings === 1 ? '' : 's'} in ${count(score.heldOutTokens)} held-out tokens`,
  ].join(' · ');
}
