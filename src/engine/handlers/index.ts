import type { EngineServices } from '../services';
import type { CallHandlers, JobHandlers } from './registry';
import { benchmarkMatmul } from './benchmark';
import { catalogEditHandlers } from './catalog';

/** Every engine command, by name. The contract decides which names exist; the types make sure each has a handler. */
export function createHandlers(services: EngineServices): { calls: CallHandlers; jobs: JobHandlers } {
  return {
    calls: {
      ...catalogEditHandlers(services),
    },
    jobs: {
      'engine.benchmark': benchmarkMatmul,
    },
  };
}
