// The writer lease each command that writes a shared output holds (catalog/leases.ts): taken
// before the command starts, so a second writer of the same output is refused at once, naming the
// first, instead of both corrupting it or one failing the other halfway through.
import { join } from 'node:path';
import { leaseOutputs, takeLease, type WriterLease } from '../../catalog/leases';
import { takeAnalysisLease } from '../../catalog/recovery';
import type { ParsedInput } from '../../shared/contract';
import type { EngineServices } from '../services';

/** The command the user ran in the host that started this engine (set by forkNodeEngine). */
export function hostCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.FEATURESCOPE_HOST_COMMAND?.trim() || 'the Featurescope app';
}

/** Take the lease of what `command` writes; null for commands that write no shared output. */
export function takeOutputLease(services: EngineServices, command: string, input: unknown): WriterLease | null {
  const who = { command: hostCommand(), job: command };
  switch (command) {
    case 'sae.analyze':
      return takeAnalysisLease(services.catalog(), (input as ParsedInput<'sae.analyze'>).saeId, who);
    case 'capture.start': {
      const { name } = input as ParsedInput<'capture.start'>;
      // The folder the capture handler writes: every hook's store and capture.json.
      const folder = join(services.paths.workspace, 'activations', name);
      return takeLease(services.catalog(), leaseOutputs.capture(folder), `the capture "${name}" (${folder})`, who);
    }
    case 'sae.train': {
      const { name } = input as ParsedInput<'sae.train'>;
      return takeLease(services.catalog(), leaseOutputs.sae(name), `SAE "${name}"`, who);
    }
    case 'sparse.train': {
      const { name } = input as ParsedInput<'sparse.train'>;
      return takeLease(services.catalog(), leaseOutputs.model(name), `model "${name}"`, who);
    }
    case 'sae.import': {
      // Writes the same saes/<name> folder a training of that name saves into at its end.
      const { name } = input as ParsedInput<'sae.import'>;
      return takeLease(services.catalog(), leaseOutputs.sae(name), `SAE "${name}"`, who);
    }
    default:
      return null;
  }
}

/**
 * The SAE a job reads, from its input: `saeId` (evaluate, analyse, export), `sae` (scan, audit) or
 * an SAE site (attribution). Null for jobs of no SAE.
 */
export function saeOfJobInput(input: unknown): number | null {
  if (input === null || typeof input !== 'object') return null;
  const i = input as { saeId?: unknown; sae?: unknown; site?: { saeId?: unknown } };
  for (const v of [i.saeId, i.sae, i.site?.saeId]) if (typeof v === 'number') return v;
  return null;
}

/**
 * A lease saying "job J uses SAE N" (never refused: many jobs may read one SAE), so that deleting or
 * renaming the SAE from any process on the workspace waits for none to be running. Null when the
 * job reads no SAE.
 */
export function takeSaeUseLease(services: EngineServices, jobId: string, command: string, input: unknown): WriterLease | null {
  // An analysis holds its SAE's analysis lease already, which a delete or rename checks too.
  if (command === 'sae.analyze') return null;
  const saeId = saeOfJobInput(input);
  if (saeId === null) return null;
  return takeLease(services.catalog(), leaseOutputs.saeUse(saeId, jobId), `the use of SAE #${saeId} by job ${jobId}`, { command: hostCommand(), job: command });
}
