import type { DoctorReport, MemoryPlan, Progress, RunOutput } from '../shared/contract';
import { describePlan } from '../shared/memory-plan-text';
import { tokenLabelText } from '../shared/token-display';

/** A command's result as JSON on stdout (--json) instead of its text. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function formatDoctor(r: DoctorReport): string {
  const b = r.engine.backend;
  const lines = [
    `Featurescope ${r.app.version} (${r.app.mode}) on ${r.app.platform}/${r.app.arch}, Node ${r.app.node}${r.app.electron ? `, Electron ${r.app.electron}` : ''}`,
    '',
    'Engine',
    `  state      ${r.engine.state}${r.engine.pid ? ` (pid ${r.engine.pid})` : ''}`,
    b ? `  backend    ${b.name} (${b.kind}), ${b.threads} thread${b.threads === 1 ? '' : 's'}, SIMD ${b.simd ? 'on' : 'off'}, tfjs ${b.tfjsVersion}` : '  backend    none',
    b ? `  why        ${b.reason}` : '',
    '',
    'Versions',
    ...Object.entries(r.versions).map(([k, v]) => `  ${k.padEnd(30)} ${v}`),
    '',
    'Paths',
    ...Object.entries(r.paths).map(([k, v]) => `  ${k.padEnd(14)} ${v}`),
  ];
  return lines.filter((l, i) => l !== '' || lines[i - 1] !== '').join('\n');
}

/** A model's memory plan under doctor's report; a plan that does not fit says the model will be refused. */
export function formatPlan(path: string, p: MemoryPlan): string {
  const verdict = p.fits ? (p.mode === 'resident' ? 'runs, weights resident' : 'runs, weights streamed per layer') : 'REFUSED: does not fit even when streaming';
  return ['', `Model ${path}`, `  verdict    ${verdict}`, ...describePlan(p).map((line) => `  ${line}`)].join('\n');
}

/** One status line for stderr, redrawn in place on a terminal. */
export function formatProgress(p: Progress): string {
  const width = 24;
  const filled = Math.round(p.fraction * width);
  const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
  const eta = p.etaSeconds === null ? '' : ` ETA ${formatSeconds(p.etaSeconds)}`;
  const metrics = p.metrics ? ` ${Object.entries(p.metrics).map(([k, v]) => `${k}=${formatNumber(v)}`).join(' ')}` : '';
  return `${bar} ${(p.fraction * 100).toFixed(1).padStart(5)}% ${formatNumber(p.done)}/${formatNumber(p.total)} ${p.unit} ${formatNumber(p.rate)} ${p.unit}/s${eta}${metrics}${p.message ? ` ${p.message}` : ''}`;
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/**
 * A token as the app shows it (shared/token-display, chip form): a space is "·", a newline "↵",
 * a tab "→", a run of spaces "·×N", a lone byte token "<0xE2>".
 */
export function showToken(text: string): string {
  // "" is the tail of a byte run whose character the run's first token carries: nothing to print
  // (the CLI joins tokens into lines, where "∅" would read as text).
  return text === '' ? '' : tokenLabelText(text, 'chip');
}

export function formatRun(r: RunOutput): string {
  const lines = [
    `model   ${r.model}`,
    `tokens  ${r.tokens.length}: ${r.tokens.map((t) => `[${showToken(t.text)}]`).join('')}`,
    '',
    'next token',
    ...r.next.map((t, i) => `  ${String(i + 1).padStart(2)}. ${(t.prob * 100).toFixed(2).padStart(6)}%  ${JSON.stringify(t.text).padEnd(16)} id ${t.id}`),
  ];
  if (r.positions) {
    lines.push('', 'next token after each position');
    for (const p of r.positions) {
      const top = p.next.slice(0, 5).map((t) => `${JSON.stringify(t.text)} ${(t.prob * 100).toFixed(1)}%`).join(', ');
      lines.push(`  ${String(p.position).padStart(4)} [${showToken(p.token.text)}] → ${top}`);
    }
  }
  if (r.captured.length > 0) {
    lines.push('', 'captured hooks');
    for (const c of r.captured) lines.push(`  ${c.hook.padEnd(32)} [${c.shape.join(', ')}]`);
  }
  for (const f of r.files ?? []) {
    lines.push('', `wrote ${f.path} (${f.format})`);
    for (const t of f.tensors) lines.push(`  ${t.name.padEnd(32)} [${t.shape.join(', ')}] float32`);
  }
  if (r.continuation) {
    lines.push('', `continuation (${r.continuation.tokens.length} tokens, stopped on ${r.continuation.stop})`, r.continuation.text);
  }
  lines.push('', `${r.seconds.toFixed(2)} s`);
  return lines.join('\n');
}
