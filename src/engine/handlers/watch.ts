import { join } from 'node:path';
import { getExperiment, logExperiment } from '../../catalog';
import { addWatchlistEntries, deleteWatchlist, getWatchlist, listWatchlists, saveWatchlist, type Watchlist } from '../../catalog/watchlists';
import type { ScanRunInput, ScanRunResult } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import { appVersion } from '../../node/versions';
import type { ModelCache } from '../session/model-cache';
import type { SaeCache } from '../session/sae-cache';
import type { EngineServices } from '../services';
import { renderScanReport } from '../watch/report';
import { encodePrompt, replayFlag, scanWatchedFeatures, type Flag } from '../watch/scan';
import { loggedPrefix, scanLogOutputs, type LoggedScan } from '../watch/scan-log';
import { allowedCorpus } from './workspace';
import type { CallHandlers, JobHandlers } from './registry';
import { checkReportOutPath, logWithReport } from './report-out';
import { saeModelRow } from './sae-model';

export function watchHandlers(
  services: EngineServices,
  models: ModelCache,
  saes: SaeCache,
): { calls: Pick<CallHandlers, 'watchlist.list' | 'watchlist.save' | 'watchlist.addEntries' | 'watchlist.delete' | 'scan.replay'>; jobs: Pick<JobHandlers, 'scan.run'> } {
  const version = () => appVersion(services.paths.appRoot);

  /** A feature's title in results and the report: the entry's label, the user's label, else the explanation. */
  const titleOf = (e: Watchlist['entries'][number]): string | null => e.label ?? e.userLabel ?? (e.explanation ? e.explanation : null);

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
      'scan.replay': async ({ ref, idx, rank }) => {
        const logged = getExperiment(services.catalog(), ref);
        const inputs = logged.inputs as { model?: string; sae?: number };
        const outputs = logged.outputs as Partial<LoggedScan>;
        if (logged.kind !== 'scan' || !inputs.model || inputs.sae === undefined || !Array.isArray(outputs.features)) {
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
        return { replayOf: logged.citeId, idx: feature.idx, rank, logged: flag.peak, value, matches };
      },
    },
    jobs: {
      'scan.run': async (input: ScanRunInput, ctx): Promise<ScanRunResult> => {
        if (input.outPath !== undefined) checkReportOutPath(input.outPath, { caller: ctx.caller, workspace: services.paths.workspace, force: input.force });
        const catalog = services.catalog();
        const watchlist = getWatchlist(catalog, input.watchlist);
        const entries = watchlist.entries.filter((e) => e.saeId === input.sae);
        if (entries.length === 0) throw new FeaturescopeError('invalid_input', `Watchlist "${watchlist.name}" has no features of SAE #${input.sae}; add some first.`, 'watchlist');
        const { name: saeName, modelDir } = saeModelRow(catalog, input.sae, input.model, 'sae');
        const model = await models.get(modelDir);
        const sae = saes.get(catalog, input.sae, 'sae');
        // A browser scans corpora only from the workspace's corpus folders (prompts are text, not paths).
        const src = input.source.kind === 'prompts' ? input.source : allowedCorpus(services, input.source, ctx.caller, 'source.path');
        const outcome = await scanWatchedFeatures(
          model,
          sae,
          entries.map((e) => ({ idx: e.idx, threshold: e.threshold })),
          src.kind === 'prompts' ? { kind: 'prompts', prompts: src.prompts } : { kind: 'corpus', corpus: src },
          {
            topPerFeature: input.topPerFeature,
            ...(input.contextLength === undefined ? {} : { contextLength: input.contextLength }),
            ...(input.maxTokens === undefined ? {} : { maxTokens: input.maxTokens }),
          },
          ctx,
        );
        ctx.throwIfCancelled();

        const strip = ({ scanned: _at, ...flag }: Flag) => flag;
        const features = outcome.features.map((f, j) => ({ ...f, label: titleOf(entries[j]!), top: f.top.map(strip) }));
        const logged = logWithReport(
          catalog,
          () =>
            logExperiment(catalog, {
              kind: 'scan',
              saeId: input.sae,
              // Everything needed to run the scan again, with the thresholds as they were.
              inputs: { ...input, model: model.dir, watchlist: { id: watchlist.id, name: watchlist.name }, entries: entries.map((e) => ({ idx: e.idx, threshold: e.threshold })) },
              seed: null,
              // Bounded whatever the scan (see scan-log.ts): windows' ids once each, prompts by index.
              outputs: scanLogOutputs(outcome, src.kind === 'prompts' ? 'prompts' : 'corpus'),
              appVersion: version(),
            }),
          (experiment) => ({
            reportPath: join(services.paths.workspace, 'scans', `scan-${experiment.citeId}.html`),
            html: renderScanReport({
              watchlist: watchlist.name,
              sae: `${saeName} (#${input.sae})`,
              hook: outcome.hook,
              model: model.dir,
              source: src.kind === 'prompts' ? `${src.prompts.length} prompts` : `${src.kind} corpus ${src.path}`,
              tokens: outcome.tokens,
              contexts: outcome.contexts,
              seconds: outcome.seconds,
              citeId: experiment.citeId,
              createdAt: Date.now(),
              features: features.map((f) => ({ ...f, title: f.label })),
            }),
          }),
          input.outPath,
        );
        ctx.catalogChanged(['experiments']);
        const { logged: experiment, reportPath, exportedTo } = logged;
        return {
          experiment,
          reportPath,
          exportedTo,
          watchlist: { id: watchlist.id, name: watchlist.name },
          source: src.kind === 'prompts' ? 'prompts' : 'corpus',
          tokens: outcome.tokens,
          contexts: outcome.contexts,
          seconds: outcome.seconds,
          features,
        };
      },
    },
  };
}
