// Commands of causal attribution: attribution.run, attribution.patch (both logged), and the
// replay of a logged one.
import { logExperiment } from '../../catalog';
import { AttributionInput, PatchInput } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import { appVersion } from '../../node/versions';
import type { Replayers } from '../experiments/replay';
import type { CallHandlers, CommandDeps } from '../handlers/registry';
import type { AttributionSite } from './index';
import { comparePatches, compareRankings, LoggedPatch, LoggedRank, patchOutputs, rankOutputs } from './logged-runs';

export function attributionCommands({ services, models, saes }: CommandDeps): { calls: Pick<CallHandlers, 'attribution.run' | 'attribution.patch'>; replay: Replayers['attribution'] } {
  /** The contract's site, resolved (SAE ids → loaded SAEs). */
  const siteOf = (site: AttributionInput['site']): AttributionSite =>
    site.kind === 'neurons' ? { kind: 'neurons', ...(site.layers ? { layers: site.layers } : {}) } : { kind: 'sae', sae: saes.get(services.catalog(), site.saeId, 'site.saeId') };
  const saeOf = (site: AttributionInput['site']) => (site.kind === 'sae' ? site.saeId : null);
  const log = (saeId: number | null, inputs: Record<string, unknown>, outputs: Record<string, unknown>) => {
    const experiment = logExperiment(services.catalog(), { kind: 'attribution', saeId, inputs, seed: null, outputs, appVersion: appVersion(services.paths.appRoot) });
    services.catalogChanged(['experiments']);
    return experiment;
  };

  return {
    calls: {
      'attribution.patch': async (input) => {
        const outputs = patchOutputs(await models.get(input.model), input, siteOf(input.site));
        return { experiment: log(saeOf(input.site), input, outputs), ...outputs };
      },
      'attribution.run': async (input) => {
        const outputs = rankOutputs(await models.get(input.model), input, siteOf(input.site));
        return { experiment: log(saeOf(input.site), input, outputs), ...outputs };
      },
    },

    replay: async (logged) => {
      const asPatch = PatchInput.safeParse(logged.inputs);
      if (asPatch.success) {
        const before = LoggedPatch.safeParse(logged.outputs);
        if (!before.success) throw new FeaturescopeError('bad_file', `${logged.citeId}: its logged outputs no longer parse as a delta patch.`, 'ref');
        const now = patchOutputs(await models.get(asPatch.data.model), asPatch.data, siteOf(asPatch.data.site));
        return { replayOf: logged.citeId, of: 'attribution.patch' as const, ...comparePatches(before.data, now) };
      }
      const asRun = AttributionInput.safeParse(logged.inputs);
      const before = LoggedRank.safeParse(logged.outputs);
      if (!asRun.success || !before.success) throw new FeaturescopeError('bad_file', `${logged.citeId}: its logged inputs or outputs no longer parse as an attribution run.`, 'ref');
      const now = rankOutputs(await models.get(asRun.data.model), { ...asRun.data, verify: false }, siteOf(asRun.data.site));
      return { replayOf: logged.citeId, of: 'attribution.run' as const, ...compareRankings(before.data.units, now.units) };
    },
  };
}
