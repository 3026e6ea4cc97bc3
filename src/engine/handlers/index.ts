import type { EngineServices } from '../services';
import type { CallHandlers, JobHandlers } from './registry';
import { benchmarkMatmul } from './benchmark';
import { catalogEditHandlers } from './catalog';
import { modelHandlers } from './model';
import { saeHandlers } from './sae';
import { attributionHandlers } from './attribution';
import { exportHandlers } from './exports';
import { auditHandlers } from './audit';
import { watchHandlers } from './watch';
import { workspaceHandlers } from './workspace';
import { ModelCache } from '../session/model-cache';
import { SaeCache } from '../session/sae-cache';

/** Every engine command, by name. The contract decides which names exist; the types make sure each has a handler. */
export function createHandlers(services: EngineServices): { calls: CallHandlers; jobs: JobHandlers } {
  const models = new ModelCache();
  const saeCache = new SaeCache();
  const sae = saeHandlers(services, models, saeCache);
  const exports = exportHandlers(services);
  const audit = auditHandlers(services, models, saeCache);
  const watch = watchHandlers(services, models, saeCache);
  return {
    calls: {
      ...catalogEditHandlers(services),
      ...modelHandlers(services, models, saeCache),
      ...sae.calls,
      ...exports.calls,
      ...attributionHandlers(services, models, saeCache),
      ...audit.calls,
      ...watch.calls,
      ...workspaceHandlers(services),
    },
    jobs: {
      'engine.benchmark': benchmarkMatmul,
      ...sae.jobs,
      ...exports.jobs,
      ...audit.jobs,
      ...watch.jobs,
    },
  };
}
