// The scan.run job: a corpus or prompt list through the SAE, the contexts where a watched feature
// passes its threshold; logged as one replayable experiment, with its HTML report written as one
// unit with the log (report-out.ts).
import { join } from 'node:path';
import { logExperiment } from '../../catalog';
import { getWatchlist, type Watchlist } from '../../catalog/watchlists';
import type { ScanRunInput, ScanRunResult } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import { appVersion } from '../../node/versions';
import type { CommandDeps } from '../handlers/registry';
import { checkReportOutPath, logWithReport } from '../handlers/report-out';
import { allowedCorpus } from '../handlers/workspace';
import type { JobContext } from '../jobs/context';
import { saeModelRow } from '../sae/sae-model';
import { renderScanReport } from './report';
import { scanWatchedFeatures, type Flag } from './scan';
import { scanLogOutputs } from './scan-log';

/** A feature's title in results and the report: the entry's label, the user's label, else the explanation. */
const titleOf = (e: Watchlist['entries'][number]): string | null => e.label ?? e.userLabel ?? (e.explanation ? e.explanation : null);

export async function runScanJob({ services, models, saes }: CommandDeps, input: ScanRunInput, ctx: JobContext): Promise<ScanRunResult> {
  const version = () => appVersion(services.paths.appRoot);
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
}
