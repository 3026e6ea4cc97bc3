// The experiment log's commands: log a default-vs-intervened run, and replay any logged
// experiment. `experiment.replay` dispatches on the experiment's kind (engine/experiments/replay.ts);
// each kind answers with its own figures plus the verdict every kind shares: {matches, note}.
// The older per-kind commands (attribution.replay, probe.replay, audit.replay, scan.replay) stay as
// aliases of the same replays, with their own outputs.
import { z } from 'zod';
import { command } from './define';
import { AttributionReplayOutput } from './attribution';
import { AuditReplayOutput, ProbeReplayOutput } from './audit';
import { ExperimentRunOutput, RunInput } from './model';
import { ExperimentRef } from './records';
import { ScanReplayOutput } from './watch';
import { CircuitReplayOutput } from './circuits';

/** An ablation or steering run again: both runs, the shift, and whether they match the log. */
export const RunReplayOutput = ExperimentRunOutput.extend({ replayOf: z.string(), matches: z.boolean() });

/** What a replay says, whichever kind it re-ran: one sentence with the figures it compared. */
const note = z.string();

export const ExperimentReplayOutput = z.discriminatedUnion('kind', [
  RunReplayOutput.extend({ kind: z.enum(['ablation', 'steering']), note }),
  AttributionReplayOutput.extend({ kind: z.literal('attribution'), note }),
  ProbeReplayOutput.extend({ kind: z.literal('probe'), note }),
  AuditReplayOutput.extend({ kind: z.literal('audit'), note }),
  ScanReplayOutput.extend({ kind: z.literal('scan'), note }),
  CircuitReplayOutput.extend({ kind: z.literal('circuit'), note }),
]);

export const ExperimentReplayInput = z
  .object({
    ref: ExperimentRef,
    /** Scans only: which watched feature's flagged context to run again (default: the first that flagged any). */
    idx: z.number().int().nonnegative().optional(),
    /** Scans only: which of that feature's flagged contexts, strongest first (default 0). */
    rank: z.number().int().nonnegative().optional(),
  })
  .strict();

export const experimentCommands = {
  'experiment.run': command({
    summary: 'Run a prompt with and without interventions, compare, and save it to the experiment log',
    runsIn: 'engine',
    input: RunInput.refine((r) => r.interventions.length > 0, { message: 'an experiment needs at least one intervention', path: ['interventions'] }),
    output: ExperimentRunOutput,
  }),
  'experiment.replay': command({
    summary: 'Run any logged experiment again from its inputs (ablation, steering, attribution, probe, audit, scan, circuit) and say whether the outputs match',
    runsIn: 'engine',
    input: ExperimentReplayInput,
    output: ExperimentReplayOutput,
  }),
};

export type RunReplayOutput = z.infer<typeof RunReplayOutput>;
export type ExperimentReplayInput = z.infer<typeof ExperimentReplayInput>;
export type ExperimentReplayOutput = z.infer<typeof ExperimentReplayOutput>;
