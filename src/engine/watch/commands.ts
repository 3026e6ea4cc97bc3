// Commands of watchlists and scans: watchlist.list|save|addEntries|delete, scan.run (a job:
// scan-job.ts) and the replay of one flagged context of a logged scan.
import { addWatchlistEntries, deleteWatchlist, listWatchlists, saveWatchlist } from '../../catalog/watchlists';
import { FeaturescopeError } from '../../shared/errors';
import type { Replayers } from '../experiments/replay';
import type { CallHandlers, CommandDeps, JobHandlers } from '../handlers/registry';
import { encodePrompt, replayFlag } from './scan';
import { runScanJob } from './scan-job';
import { loggedPrefix, type LoggedScan } from './scan-log';

export function watchCommands(deps: CommandDeps): {
  calls: Pick<CallHandlers, 'watchlist.list' | 'watchlist.save' | 'watchlist.addEntries' | 'watchlist.delete'>;
  jobs: Pick<JobHandlers, 'scan.run'>;
  replay: Replayers['scan'];
} {
  const { services, models, saes } = deps;

  return {
    calls: {
      'watchlist.list': ({ saeId }) => listWatchlists(services.catalog(), saeId === undefined ? {} : { saeId }),
      'watchlist.save': (input) => {
        const saved = saveWatchlist(services.catalog(), input);
        services.catalogChanged(['watchlists']);
        return saved;
      },
      'watchlist.addEntries': (input) => {
        const added = addWatchlistEntries(services.catalog(), input);
        services.catalogChanged(['watchlists']);
        return added;
      },
      'watchlist.delete': ({ watchlist }) => {
        const deleted = deleteWatchlist(services.catalog(), watchlist);
        if (deleted) services.catalogChanged(['watchlists']);
        return { deleted };
      },
    },
    jobs: {
      'scan.run': (input, ctx) => runScanJob(deps, input, ctx),
    },

    /** The strongest context of the first watched feature that flagged any (or the one asked for), run again. */
    replay: async (logged, { idx, rank = 0 }) => {
      const inputs = logged.inputs as { model?: string; sae?: number };
      const outputs = logged.outputs as Partial<LoggedScan>;
      if (!inputs.model || inputs.sae === undefined || !Array.isArray(outputs.features)) {
        throw new FeaturescopeError('unsupported', `${logged.citeId} is not a watchlist scan; replay it from its own page.`, 'ref');
      }
      const feature = idx === undefined ? outputs.features.find((f) => f.top.length > 0) : outputs.features.find((f) => f.idx === idx);
      if (!feature) throw new FeaturescopeError('not_found', idx === undefined ? `${logged.citeId} flagged no context.` : `${logged.citeId} did not watch feature ${idx}.`, 'idx');
      const flag = feature.top[rank];
      if (!flag) throw new FeaturescopeError('not_found', `${logged.citeId} kept ${feature.top.length} flagged contexts of feature ${feature.idx}; there is no rank ${rank}.`, 'rank');
      const model = await models.get(inputs.model);
      const source = (logged.inputs as { source?: { kind?: string; prompts?: string[] } }).source;
      const ids = loggedPrefix(outputs as LoggedScan, flag, source?.kind === 'prompts' ? source.prompts : undefined, (text) => encodePrompt(model, text));
      if (typeof ids === 'string') throw new FeaturescopeError('unsupported', `${logged.citeId}: flagged context ${rank} of feature ${feature.idx} cannot be replayed: ${ids}.`, 'rank');
      const sae = saes.get(services.catalog(), inputs.sae);
      const value = replayFlag(model, sae, feature.idx, ids);
      const matches = Math.abs(value - flag.peak) <= 1e-4 * Math.max(1, Math.abs(flag.peak)) && value > feature.threshold;
      return {
        replayOf: logged.citeId,
        idx: feature.idx,
        rank,
        logged: flag.peak,
        value,
        matches,
        note: `Replayed feature ${feature.idx}'s ${rank === 0 ? 'top flagged context' : `flagged context ${rank}`} now: peak ${value.toPrecision(4)} (logged ${flag.peak.toPrecision(4)})`,
      };
    },
  };
}
