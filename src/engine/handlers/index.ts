import type { EngineServices } from '../services';
import type { CallHandlers, CommandDeps, JobHandlers } from './registry';
import { benchmarkMatmul } from './benchmark';
import { catalogEditHandlers } from './catalog';
import { convertHandlers } from './convert';
import { exportHandlers } from './exports';
import { analysisCommands } from '../analysis/commands';
import { attributionCommands } from '../attribution/commands';
import { auditCommands } from '../audit/commands';
import { captureCommands } from '../capture/commands';
import { replayCommands } from '../experiments/replay';
import { probeCommands } from '../probes/commands';
import { saeCommands } from '../sae/commands';
import { sessionCommands } from '../session/commands';
import { sparseCommands } from '../sparse/commands';
import { watchCommands } from '../watch/commands';
import { taskCommands } from '../tasks/commands';
import { circuitCommands } from '../circuits/commands';
import { workspaceHandlers } from './workspace';
import { ModelCache } from '../session/model-cache';
import { SaeCache } from '../session/sae-cache';
import { IdleDisposer } from '../session/idle-disposer';

/**
 * Every engine command, by name. Each domain declares its adapters in engine/<domain>/commands.ts;
 * here they are put together, with one replay per experiment kind for experiment.replay. The
 * contract decides which names exist; the types make sure each has a handler.
 */
export function createHandlers(services: EngineServices): { calls: CallHandlers; jobs: JobHandlers; idle: IdleDisposer } {
  // Models and SAEs evicted from their caches are disposed only once no command is at work.
  const idle = new IdleDisposer();
  const deps: CommandDeps = { services, models: new ModelCache(idle), saes: new SaeCache(idle) };
  const session = sessionCommands(deps);
  const capture = captureCommands(deps);
  const sae = saeCommands(deps);
  const analysis = analysisCommands(deps);
  const attribution = attributionCommands(deps);
  const probes = probeCommands(deps);
  const audit = auditCommands(deps);
  const watch = watchCommands(deps);
  const tasks = taskCommands(deps);
  const circuits = circuitCommands(deps);
  const exports = exportHandlers(services);
  const replays = replayCommands(services.catalog, {
    ablation: session.replay,
    steering: session.replay,
    attribution: attribution.replay,
    probe: probes.replay,
    audit: audit.replay,
    scan: watch.replay,
    circuit: circuits.replay,
  });
  return {
    idle,
    calls: {
      ...catalogEditHandlers(services),
      ...session.calls,
      ...capture.calls,
      ...sae.calls,
      ...exports.calls,
      ...convertHandlers(services),
      ...attribution.calls,
      ...probes.calls,
      ...audit.calls,
      ...watch.calls,
      ...tasks.calls,
      ...circuits.calls,
      ...replays,
      ...workspaceHandlers(services),
    },
    jobs: {
      'engine.benchmark': benchmarkMatmul,
      ...capture.jobs,
      ...sae.jobs,
      ...analysis.jobs,
      ...exports.jobs,
      ...audit.jobs,
      ...watch.jobs,
      ...tasks.jobs,
      ...sparseCommands(deps).jobs,
      ...circuits.jobs,
    },
  };
}
