import { useEffect, useState } from 'react';
import type { EventPayload } from '@shared/contract';
import { call, on, onConnectionLost } from '../api/client';

type EngineStatus = EventPayload<'engine.status'>;

/** The engine's state: read once from doctor, then kept current by engine.status events. */
export function useEngineStatus(): EngineStatus | undefined {
  const [status, setStatus] = useState<EngineStatus>();
  useEffect(() => {
    let live = true;
    void call('app.doctor', {}).then((r) => {
      if (live) setStatus((s) => s ?? { state: r.engine.state, pid: r.engine.pid, backend: r.engine.backend });
    });
    const offs = [
      on('engine.status', (s) => setStatus(s)),
      onConnectionLost(() => setStatus({ state: 'stopped', pid: null, backend: null, message: 'Lost the connection to the Featurescope server.' })),
    ];
    return () => {
      live = false;
      offs.forEach((off) => off());
    };
  }, []);
  return status;
}
