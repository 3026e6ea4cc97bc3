// Watchlists and scans: featurescope watchlist list|save|add|delete, featurescope scan.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CliCommand } from '../command';
import { CORPUS_FLAGS, JSON_FLAG, corpusFromFlags, requireString } from '../args';
import { resolveSae } from '../host-calls';
import { aka, modelIfGiven, pathFlag, replayFlag, saeFlag } from '../field-rules';
import { flagsFor, type FieldRule } from '../flags';
import { handFlags, mergeFlags } from '../flag-set';
import { progressToStderr, clearProgress } from '../progress';
import { formatNumber, showToken } from '../format';
import { callOrThrow } from '../../shared/call';
import { runJob } from '../../host/run-job';
import type { Watchlist } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';

/** A watchlist is named on the command line (the contract also takes its id; a name of digits stays a name). */
const watchlistByName: FieldRule = { value: 'NAME', parse: (text) => text };
const NAME_NOTE = 'required with save, add, delete';
const list = flagsFor('watchlist.list', { fields: { saeId: saeFlag } });
const save = flagsFor('watchlist.save', { fields: { name: { note: NAME_NOTE }, defaultFraction: aka('fraction') }, hand: ['entries'], omit: ['id', 'replace', 'expectedUpdatedAt'] });
const add = flagsFor('watchlist.addEntries', { fields: { watchlist: { ...watchlistByName, flag: 'name' }, defaultFraction: aka('fraction') }, hand: ['entries'], omit: ['create'] });
const remove = flagsFor('watchlist.delete', { fields: { watchlist: { ...watchlistByName, flag: 'name' } } });
/** The features of save and add: the SAE they belong to and IDX[:THRESHOLD] for each. */
const ENTRY_FLAGS = handFlags({
  sae: { type: 'string', value: 'ID|NAME', description: 'The SAE the features belong to (save, add); with list, only its watchlists' },
  feature: { type: 'string', multiple: true, value: 'IDX[:THRESHOLD]', description: 'A feature to watch, with its threshold in activation units (repeatable)' },
});

const scan = flagsFor('scan.run', {
  fields: { model: modelIfGiven, sae: saeFlag, watchlist: watchlistByName, contextLength: aka('context'), topPerFeature: aka('top'), outPath: pathFlag('REPORT.html', { aliases: ['out'] }) },
  hand: ['source'],
});
const scanReplay = flagsFor('scan.replay', { fields: { ref: replayFlag, idx: { flag: 'feature', value: 'IDX', describe: 'With --replay: the flagged feature to re-run (default: the first)' } } });
const PROMPTS_FLAG = handFlags({ prompts: { type: 'string', value: 'FILE', description: 'Prompts to scan, each alone: one per line (.txt) or a "text" field per line (.jsonl)' } });

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
    flags: mergeFlags(save, add, remove, ENTRY_FLAGS, list, JSON_FLAG),
    async run(values, host, positionals) {
      const [action, ...extra] = positionals;
      if (extra.length > 0 || !['list', 'save', 'add', 'delete'].includes(action ?? '')) {
        throw new FeaturescopeError('invalid_input', `Say what to do: featurescope watchlist list|save|add|delete (got "${positionals.join(' ')}").`);
      }
      if (action === 'list') {
        const lists = await callOrThrow(await host(), 'watchlist.list', await list.read(values, host));
        if (values.json) process.stdout.write(`${JSON.stringify(lists, null, 2)}\n`);
        else if (lists.length === 0) process.stdout.write('No watchlist yet: featurescope watchlist save --name NAME --sae SAE --feature IDX\n');
        else lists.forEach(printWatchlist);
        return 0;
      }
      if (action === 'delete') {
        const input = await remove.read(values, host);
        const r = await callOrThrow(await host(), 'watchlist.delete', input);
        process.stdout.write(r.deleted ? `Deleted watchlist ${input.watchlist}\n` : `There is no watchlist ${input.watchlist}\n`);
        return r.deleted ? 0 : 1;
      }
      /** --sae and every --feature, as the entries of save and add. */
      const entries = async () => {
        const given = entriesFromFlags(values, await resolveSae(await host(), requireString(values, 'sae')));
        if (given.length === 0) throw new FeaturescopeError('invalid_input', '--feature IDX[:THRESHOLD] is required (repeat it for more features).', 'feature');
        return given;
      };
      if (action === 'add') {
        const input = await add.read(values, host);
        // One engine write adds to the list as it stands (creating it if needed): nothing read here is written back.
        const r = await callOrThrow(await host(), 'watchlist.addEntries', { ...input, entries: await entries(), create: true });
        if (values.json) process.stdout.write(`${JSON.stringify(r.watchlist, null, 2)}\n`);
        else printWatchlist(r.watchlist);
        for (const e of r.alreadyThere) process.stderr.write(`Feature ${e.idx} of SAE ${e.saeId} was already on ${r.watchlist.name}: left as it was (watchlist save rewrites thresholds).\n`);
        return 0;
      }
      // `save` is documented to replace: a list of that name is rewritten, not refused.
      const input = await save.read(values, host);
      const saved = await callOrThrow(await host(), 'watchlist.save', { ...input, entries: await entries(), replace: true });
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
    flags: mergeFlags(scan, CORPUS_FLAGS, PROMPTS_FLAG, scanReplay, JSON_FLAG),
    async run(values, host) {
      if (typeof values.replay === 'string') {
        const r = await callOrThrow(await host(), 'scan.replay', await scanReplay.read(values, host));
        process.stdout.write(values.json ? `${JSON.stringify(r, null, 2)}\n` : `${r.replayOf} feature ${r.idx} rank ${r.rank}: ${r.matches ? 'matches the log' : 'DIFFERS from the log'} (logged ${formatNumber(r.logged)}, now ${formatNumber(r.value)})\n`);
        return r.matches ? 0 : 1;
      }
      if ((values.corpus === undefined) === (values.prompts === undefined)) throw new FeaturescopeError('invalid_input', 'Give exactly one of --corpus PATH or --prompts FILE.', 'corpus');
      const source = values.prompts !== undefined ? { kind: 'prompts' as const, prompts: readPrompts(resolve(values.prompts as string)) } : corpusFromFlags(values);
      const input = { ...(await scan.read(values, host)), source };
      const r = await runJob(await host(), 'scan.run', input, progressToStderr());
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
