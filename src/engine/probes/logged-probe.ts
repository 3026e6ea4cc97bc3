// A sparse probe as the experiment log keeps it, and a re-trained one compared with it.
import { z } from 'zod';

export const LoggedProbe = z.object({
  path: z.array(z.object({ lambda: z.number(), features: z.array(z.number()), trainAccuracy: z.number(), testAccuracy: z.number() })),
  smallest: z.object({ features: z.array(z.object({ index: z.number(), coef: z.number() })) }).nullable(),
});
export type LoggedProbe = z.infer<typeof LoggedProbe>;

/** Step by step: the same units and accuracies; then the smallest set's coefficients. */
export function compareProbes(logged: LoggedProbe, now: LoggedProbe) {
  let stepsDiffering = 0;
  for (let i = 0; i < Math.max(logged.path.length, now.path.length); i++) {
    const step = logged.path[i], again = now.path[i];
    const same = step !== undefined && again !== undefined && again.features.join() === step.features.join() && again.trainAccuracy === step.trainAccuracy && again.testAccuracy === step.testAccuracy;
    if (!same) stepsDiffering++;
  }
  const a = logged.smallest?.features ?? [];
  const b = now.smallest?.features ?? [];
  const scale = Math.max(1e-12, ...a.map((f) => Math.abs(f.coef)));
  const sameUnits = a.length === b.length && a.every((f, i) => b[i]!.index === f.index);
  const coefChange = sameUnits ? Math.max(0, ...a.map((f, i) => Math.abs(b[i]!.coef - f.coef) / scale)) : null;
  return {
    matches: stepsDiffering === 0 && coefChange !== null && coefChange < 1e-4,
    stepsDiffering,
    coefChange,
    note: `Re-trained now on the logged prompts and seed: ${stepsDiffering} λ step(s) differ, ${coefChange === null ? 'the smallest set holds other units' : `largest coefficient change ${(coefChange * 100).toPrecision(2)}%`}`,
  };
}
