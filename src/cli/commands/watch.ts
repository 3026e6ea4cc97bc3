// Watchlists and scans: featurescope watchlist list|save|add|delete, featurescope scan.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CliCommand } from '../command';
import { CORPUS_FLAGS, corpusFromFlags, parseIntOption, requireString } from '../args';
import { callOrThrow, resolveModel, resolveSae } from '../host-calls';
import { progressToStderr, clearProgress } from '../progress';
import { formatNumber, showToken } from '../format';
import { runJob } from '../../host/run-job';
import type { ScanReplayOutput, ScanRunResult, Watchlist } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';

/** --feature IDX or IDX:THRESHOLD (activation units), repeatable. */
function entriesFromFlags(values: Record<string, unknown>, saeId: number): Array<{ saeId: number; idx: number; threshold?: number }> {
  const raw = (values.feature as string[] | undefined) ?? [];
  return raw.map((f) => {
    const m = /^(\d+)(?::([0-9.eE+-]+))?$/.exec(f.trim());
    if (!m) throw new FeaturescopeError('invalid_input', `--feature must be IDX or IDX:THRESHOLD, got "${f}".`, 'feature');
    const threshold = m[2] === undefined ? undefined : Number(m[2]);
    return { saeId, idx: Number(m[1]), ...(threshold === undefined ? {} : { threshold }) };
  });
}

/** Prompts from a file: one per line (.txt), or a "text" field per line (.jsonl). Blank lines are skipped; errors name the file's own line number. */
function readPrompts(path: string): string[] {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .map((text, i) => ({ text: text.replace(/\r$/, ''), line: i + 1 }))
    .filter((l) => l.text.trim() !== '');
  const prompts = path.endsWith('.jsonl')
    ? lines.map(({ text, line }) => {
        let row: { text?: unknown };
        try {
          row = JSON.parse(text) as { text?: unknown };
        } catch {
          throw new FeaturescopeError('bad_file', `${path}:${line}: not a JSON line`, 'prompts');
        }
        if (typeof row?.text !== 'string' || row.text === '') throw new FeaturescopeError('bad_file', `${path}:${line}: needs a non-empty "text" field`, 'prompts');
        return row.text;
      })
    : lines.map((l) => l.text);
  if (prompts.length === 0) throw new FeaturescopeError('invalid_input', `${path} holds no prompt.`, 'prompts');
  return prompts;
}

function printWatchlist(w: Watchlist): void {
  process.stdout.write(`${w.name} (#${w.id})${w.note ? ` — ${w.note}` : ''}: ${w.entries.length} features\n`);
  for (const e of w.entries) {
    const title = e.label ?? e.userLabel ?? e.explanation ?? '';
    process.stdout.write(`  SAE ${e.saeId} #${String(e.idx).padEnd(6)} threshold ${formatNumber(e.threshold).padStart(8)}${e.maxAct === null ? '' : `  (max ${formatNumber(e.maxAct)})`}  ${title}\n`);
  }
}

export const watchCommands: Record<string, CliCommand> = {
  watchlist: {
    summary: 'Watchlists of SAE features to monitor: list, save (replace), add to, delete',
    usage: [
      'featurescope watchlist list [--sae ID|NAME] [--json]',
      'featurescope watchlist save --name NAME --sae ID|NAME --feature IDX[:THRESHOLD]… [--note TEXT] [--fraction 0.5]',
      'featurescope watchlist add  --name NAME --sae ID|NAME --feature IDX[:THRESHOLD]… [--fraction 0.5]',
      '                             (keeps the entries it has; a feature already on it is left as it is; creates the list if needed)',
      'featurescope watchlist delete --name NAME',
      '',
      'A threshold is in activation units; left out, it is --fraction of the feature’s max activation in the SAE’s analysis.',
    ].join('\n'),
    positionals: true,
    options: {
      name: { type: 'string' },
      sae: { type: 'string' },
      feature: { type: 'string', multiple: true },
      note: { type: 'string' },
      fraction: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(values, host, positionals) {
      const [action, ...extra] = positionals;
      if (extra.length > 0 || !['list', 'save', 'add', 'delete'].includes(action ?? '')) {
        throw new FeaturescopeError('invalid_input', `Say what to do: featurescope watchlist list|save|add|delete (got "${positionals.join(' ')}").`);
      }
      const h = await host();
      if (action === 'list') {
        const saeId = values.sae === undefined ? undefined : await resolveSae(h, values.sae as string);
        const lists = (await callOrThrow(h, 'watchlist.list', saeId === undefined ? {} : { saeId })) as Watchlist[];
        if (values.json) process.stdout.write(`${JSON.stringify(lists, null, 2)}\n`);
        else if (lists.length === 0) process.stdout.write('No watchlist yet: featurescope watchlist save --name NAME --sae SAE --feature IDX\n');
        else lists.forEach(printWatchlist);
        return 0;
      }
      const name = requireString(values, 'name');
      if (action === 'delete') {
        const r = (await callOrThrow(h, 'watchlist.delete', { watchlist: name })) as { deleted: boolean };
        process.stdout.write(r.deleted ? `Deleted watchlist ${name}\n` : `There is no watchlist ${name}\n`);
        return r.deleted ? 0 : 1;
      }
      const saeId = await resolveSae(h, requireString(values, 'sae'));
      const given = entriesFromFlags(values, saeId);
      if (given.length === 0) throw new FeaturescopeError('invalid_input', '--feature IDX[:THRESHOLD] is required (repeat it for more features).', 'feature');
      const defaultFraction = values.fraction === undefined ? {} : { defaultFraction: Number(values.fraction) };
      if (action === 'add') {
        // One engine write adds to the list as it stands (creating it if needed): nothing read here is written back.
        const r = (await callOrThrow(h, 'watchlist.addEntries', { watchlist: name, entries: given, create: true, ...defaultFraction })) as { watchlist: Watchlist; alreadyThere: Array<{ saeId: number; idx: number }> };
        if (values.json) process.stdout.write(`${JSON.stringify(r.watchlist, null, 2)}\n`);
        else printWatchlist(r.watchlist);
        for (const e of r.alreadyThere) process.stderr.write(`Feature ${e.idx} of SAE ${e.saeId} was already on ${r.watchlist.name}: left as it was (watchlist save rewrites thresholds).\n`);
        return 0;
      }
      const note = values.note as string | undefined;
      // `save` is documented to replace: a list of that name is rewritten, not refused.
      const saved = (await callOrThrow(h, 'watchlist.save', { name, entries: given, replace: true, ...(note === undefined ? {} : { note }), ...defaultFraction })) as Watchlist;
      if (values.json) process.stdout.write(`${JSON.stringify(saved, null, 2)}\n`);
      else printWatchlist(saved);
      return 0;
    },
  },

  scan: {
    summary: 'Scan a corpus or prompt list for contexts where a watched feature exceeds its threshold; logged, HTML report',
    usage: [
      'featurescope scan --sae ID|NAME --watchlist NAME (--corpus PATH [--kind txt|jsonl|folder] [--text-field text] [--recursive] | --prompts FILE)',
      '                  [--model DIR|NAME] [--top 10] [--max-tokens N] [--context N] [--out REPORT.html [--force]] [--json]',
      'featurescope scan --replay exp-000123 [--feature IDX] [--rank 0]   (re-run one flagged context and compare)',
      '',
      'FILE holds one prompt per line (.txt) or a "text" field per line (.jsonl); each prompt is scanned alone.',
    ].join('\n'),
    options: {
      sae: { type: 'string' },
      watchlist: { type: 'string' },
      model: { type: 'string' },
      ...CORPUS_FLAGS,
      prompts: { type: 'string' },
      top: { type: 'string' },
      'max-tokens': { type: 'string' },
      context: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
      replay: { type: 'string' },
      feature: { type: 'string' },
      rank: { type: 'string' },
      json: { type: 'boolean' },
    },
    async run(values, host) {
      if (typeof values.replay === 'string') {
        const h = await host();
        const r = (await callOrThrow(h, 'scan.replay', {
          ref: /^\d+$/.test(values.replay) ? Number(values.replay) : values.replay,
          ...(values.feature === undefined ? {} : { idx: parseIntOption('feature', values.feature, 0, 2 ** 31 - 1) }),
          ...(values.rank === undefined ? {} : { rank: parseIntOption('rank', values.rank, 0, 99) }),
        })) as ScanReplayOutput;
        process.stdout.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : `${r.replayOf} feature ${r.idx} rank ${r.rank}: ${r.matches ? 'matches the log' : 'DIFFERS from the log'} (logged ${formatNumber(r.logged)}, now ${formatNumber(r.value)})\n`);
        return r.matches ? 0 : 1;
      }
      if ((values.corpus === undefined) === (values.prompts === undefined)) throw new FeaturescopeError('invalid_input', 'Give exactly one of --corpus PATH or --prompts FILE.', 'corpus');
      const source = values.prompts !== undefined ? { kind: 'prompts' as const, prompts: readPrompts(resolve(values.prompts as string)) } : corpusFromFlags(values);
      const h = await host();
      const input = {
        sae: await resolveSae(h, requireString(values, 'sae')),
        watchlist: requireString(values, 'watchlist'),
        source,
        ...(values.model === undefined ? {} : { model: await resolveModel(h, values.model as string) }),
        ...(values.top === undefined ? {} : { topPerFeature: parseIntOption('top', values.top, 1, 100) }),
        ...(values['max-tokens'] === undefined ? {} : { maxTokens: parseIntOption('max-tokens', values['max-tokens'], 1, Number.MAX_SAFE_INTEGER) }),
        ...(values.context === undefined ? {} : { contextLength: parseIntOption('context', values.context, 2, 8192) }),
        ...(values.out === undefined ? {} : { outPath: resolve(values.out as string), force: values.force === true }),
      };
      const r: ScanRunResult = await runJob(h, 'scan.run', input, progressToStderr());
      clearProgress();
      if (values.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return 0;
      }
      process.stdout.write(`${r.experiment.citeId}  ${r.watchlist.name}: ${formatNumber(r.tokens)} tokens in ${formatNumber(r.contexts)} ${r.source === 'prompts' ? 'prompts' : 'windows'}, ${r.seconds.toFixed(1)} s\n`);
      for (const f of r.features) {
        process.stdout.write(`  #${String(f.idx).padEnd(6)} ${String(f.flagged).padStart(6)} flagged (${f.flaggedTokens} tokens > ${formatNumber(f.threshold)})  max ${formatNumber(f.maxAct)}  ${f.label ?? ''}\n`);
        const best = f.top[0];
        if (best) process.stdout.write(`          top: doc ${best.doc} token ${best.position}: ${best.tokens.map((t, i) => (i === best.peakIndex ? `[${showToken(t)}]` : showToken(t))).join('')}\n`);
      }
      process.stdout.write(`Report: ${r.reportPath}${r.exportedTo ? `\nExported: ${r.exportedTo}` : ''}\n`);
      return 0;
    },
  },
};
