// A command run from a form: one at a time (a second Ctrl+Enter while it runs is ignored), timed,
// its error kept for the fields, and its last answer kept for display while the next one runs (and
// dropped when that one fails).
import { useCallback, useRef, useState } from 'react';
import type { CommandInput, CommandName, CommandOutput } from '@shared/contract';
import { call } from '../api/client';
import { useAction } from './forms';

export interface TimedRun<C extends CommandName> {
  input: CommandInput<C>;
  output: CommandOutput<C>;
  seconds: number;
}

export function useTimedRun<C extends CommandName>(command: C) {
  const action = useAction();
  const busy = useRef(false);
  const [shown, setShown] = useState<TimedRun<C>>();
  const { run: runAction } = action;
  /** `makeInput` may throw a CommandFailed naming a field (checks the renderer can make itself). */
  const run = useCallback(
    async (makeInput: () => CommandInput<C>) => {
      if (busy.current) return;
      busy.current = true;
      const t0 = performance.now();
      const result = await runAction(async () => {
        const input = makeInput();
        return { input, output: await call(command, input), seconds: (performance.now() - t0) / 1000 };
      });
      busy.current = false;
      // A failed run leaves no answer to other inputs under its error.
      setShown(result);
    },
    [runAction, command],
  );
  return { action, shown, run };
}
