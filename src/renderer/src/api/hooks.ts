import { useCallback, useEffect, useState } from 'react';
import type { CommandInput, CommandName, CommandOutput, EventName } from '@shared/contract';
import { call, CommandFailed, on } from './client';

export interface Query<T> {
  data: T | undefined;
  error: CommandFailed | undefined;
  loading: boolean;
  reload: () => void;
}

/** Call a command, and call it again whenever one of `refreshOn` events arrives. */
export function useCommand<C extends CommandName>(command: C, input: CommandInput<C>, refreshOn: EventName[] = []): Query<CommandOutput<C>> {
  const [data, setData] = useState<CommandOutput<C>>();
  const [error, setError] = useState<CommandFailed>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(input);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    let live = true;
    setLoading(true);
    call(command, JSON.parse(key) as CommandInput<C>).then(
      (value) => {
        if (!live) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (err: unknown) => {
        if (!live) return;
        setError(err instanceof CommandFailed ? err : new CommandFailed({ code: 'internal', message: String(err) }));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [command, key, tick]);

  const events = refreshOn.join(',');
  useEffect(() => {
    const offs = events ? events.split(',').map((e) => on(e as EventName, reload)) : [];
    return () => offs.forEach((off) => off());
  }, [events, reload]);

  return { data, error, loading, reload };
}
