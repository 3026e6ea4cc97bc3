// Replaying the experiment log: one command, `experiment.replay`, dispatching on the logged
// experiment's kind to that kind's replay (each domain's commands.ts declares its own). Every
// replay answers with its figures and the shared verdict {matches, note}; the per-kind commands
// kept for older callers (attribution.replay, probe.replay, audit.replay, scan.replay) call the
// same replays and answer without the note, as they always did.
import { getExperiment, type Catalog } from '../../catalog';
import type {
  AttributionReplayOutput,
  AuditReplayOutput,
  ExperimentReplayOutput,
  ParsedInput,
  ProbeReplayOutput,
  RunReplayOutput,
  ScanReplayOutput,
  CircuitReplayOutput,
} from '../../shared/contract';
import type { Experiment, ExperimentKind, ExperimentRef } from '../../shared/contract/records';
import { FeaturescopeError } from '../../shared/errors';
import type { CallHandlers } from '../handlers/registry';

/** Which flagged context of a scan to run again; other kinds take none. */
export interface ReplayChoice {
  idx?: number | undefined;
  rank?: number | undefined;
}

interface ReplayOutputs {
  ablation: RunReplayOutput;
  steering: RunReplayOutput;
  attribution: AttributionReplayOutput;
  probe: ProbeReplayOutput;
  audit: AuditReplayOutput;
  scan: ScanReplayOutput;
  circuit: CircuitReplayOutput;
}

/** One replay per kind: the logged experiment in; its figures, `matches` and a one-line `note` out. */
export type Replayers = { [K in ExperimentKind]: (logged: Experiment, choice: ReplayChoice) => Promise<ReplayOutputs[K] & { note: string }> };

/** 'an audit', 'a probe': the kind with its article, for refusals. */
const aKind = (e: Experiment) => `${/^[aeiou]/.test(e.kind) ? 'an' : 'a'} ${e.kind}`;

type ReplayCommand = 'experiment.replay' | 'attribution.replay' | 'probe.replay' | 'audit.replay' | 'scan.replay';

export function replayCommands(catalog: () => Catalog, replayers: Replayers): Pick<CallHandlers, ReplayCommand> {
  /** The per-kind command for `kind`: other kinds are refused (pointing to experiment.replay), the note left off. */
  async function alias<K extends ExperimentKind>(kind: K, ref: ExperimentRef, refusal: (logged: Experiment) => string, choice: ReplayChoice = {}): Promise<Omit<ReplayOutputs[K] & { note: string }, 'note'>> {
    const logged = getExperiment(catalog(), ref);
    if (logged.kind !== kind) throw new FeaturescopeError('unsupported', refusal(logged), 'ref');
    const { note: _note, ...out } = await replayers[kind](logged, choice);
    return out;
  }

  return {
    'experiment.replay': async ({ ref, idx, rank }: ParsedInput<'experiment.replay'>) => {
      const logged = getExperiment(catalog(), ref);
      if (logged.kind !== 'scan' && (idx !== undefined || rank !== undefined)) {
        throw new FeaturescopeError('invalid_input', `idx and rank pick a scan's flagged context; ${logged.citeId} is ${aKind(logged)} experiment.`, idx !== undefined ? 'idx' : 'rank');
      }
      const out = await replayers[logged.kind](logged, { idx, rank });
      return { kind: logged.kind, ...out } as ExperimentReplayOutput;
    },
    'attribution.replay': ({ ref }) => alias('attribution', ref, (e) => `${e.citeId} is ${aKind(e)} experiment, not an attribution run; experiment.replay replays any kind.`),
    'probe.replay': ({ ref }) => alias('probe', ref, (e) => `${e.citeId} is ${aKind(e)} experiment, not a probe; experiment.replay replays any kind.`),
    'audit.replay': ({ ref }) => alias('audit', ref, (e) => `${e.citeId} is ${aKind(e)} experiment, not an audit finding; experiment.replay replays any kind.`),
    'scan.replay': ({ ref, idx, rank }) => alias('scan', ref, (e) => `${e.citeId} is ${aKind(e)} experiment, not a watchlist scan; experiment.replay replays any kind.`, { idx, rank }),
  };
}
