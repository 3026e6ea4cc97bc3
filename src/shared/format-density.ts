/**
 * A feature's density (the fraction of analysed tokens it fires on) as a percentage with enough
 * digits to tell rare features apart. One formatter for the app and the CLI's text output, so
 * both say "16.2%" (JSON output keeps the fraction).
 */
export function formatDensity(density: number): string {
  if (density === 0) return '0%';
  const pct = density * 100;
  if (pct >= 10) return `${pct.toFixed(1)}%`;
  if (pct >= 1) return `${pct.toFixed(2)}%`;
  return `${pct.toPrecision(2)}%`;
}
