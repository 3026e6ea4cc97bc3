import type { CallHandlers, JobHandlers } from './registry';
import { benchmarkMatmul } from './benchmark';

/** Every engine command, by name. The contract decides which names exist; the types make sure each has a handler. */
export const callHandlers: CallHandlers = {};

export const jobHandlers: JobHandlers = {
  'engine.benchmark': benchmarkMatmul,
};
