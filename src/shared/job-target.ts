// What a job works on, said once for the host (the job list names it) and the renderer (a form
// refuses to start a second writer of an output a running job is writing). `output` follows the
// writer lease keys the engine takes for the same jobs (src/catalog/leases.ts: sae:NAME,
// analysis:ID; a capture by its name, which is its folder under the workspace), so the form's
// guard and the engine's refusal agree on what "the same output" is.
import type { JobTarget } from './contract/common';

/** The SAE name of a catalog id, when the caller can look it up (the job list reads better with names). */
export type SaeNameOf = (saeId: number) => string | undefined;

const saeLabel = (saeId: number, nameOf?: SaeNameOf): string => {
  const name = nameOf?.(saeId);
  return name === undefined ? `SAE #${saeId}` : `SAE "${name}"`;
};

/** The target of a job command's input (already parsed or as a form is about to send it). */
export function jobTarget(command: string, input: unknown, nameOf?: SaeNameOf): JobTarget | undefined {
  const i = (input ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
  const num = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
  switch (command) {
    case 'sae.train': {
      const name = str(i.name);
      return name === '' ? undefined : { output: `sae:${name}`, label: `SAE "${name}"` };
    }
    case 'sparse.train': {
      const name = str(i.name);
      return name === '' ? undefined : { output: `model:${name}`, label: `weight-sparse model "${name}"` };
    }
    case 'capture.start': {
      const name = str(i.name);
      const hooks = Array.isArray(i.hooks) ? i.hooks.filter((h): h is string => typeof h === 'string') : [];
      return name === '' ? undefined : { output: `capture:${name}`, label: `capture "${name}"${hooks.length > 0 ? ` at ${hooks.join(', ')}` : ''}` };
    }
    case 'sae.analyze': {
      const id = num(i.saeId);
      return id === undefined ? undefined : { output: `analysis:${id}`, label: `analysis of ${saeLabel(id, nameOf)}` };
    }
    case 'sae.evaluate': {
      const id = num(i.saeId);
      return id === undefined ? undefined : { label: `evaluation of ${saeLabel(id, nameOf)}` };
    }
    case 'catalog.export': {
      const id = num(i.saeId);
      return id === undefined ? undefined : { label: `${saeLabel(id, nameOf)} → ${str(i.path)}` };
    }
    case 'scan.run': {
      const id = num(i.sae);
      return id === undefined ? undefined : { label: `scan with ${saeLabel(id, nameOf)}` };
    }
    case 'audit.run': {
      const id = num(i.sae);
      return { label: `contrast set "${str(i.contrastSet)}" on ${id === undefined ? 'MLP neurons' : saeLabel(id, nameOf)}` };
    }
    case 'engine.benchmark': {
      const size = num(i.size);
      return size === undefined ? undefined : { label: `${size}×${size} matmul` };
    }
    default:
      return undefined;
  }
}
