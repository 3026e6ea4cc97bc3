import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createNodeHost } from '../../src/host/node-host';
import type { Host } from '../../src/host/host';

export const builtDir = resolve(__dirname, '../../out/main');

/** A real host with a real engine child process (the built one), in a throwaway data folder. */
export async function startTestHost(): Promise<{ host: Host; home: string; dispose(): Promise<void> }> {
  if (!existsSync(join(builtDir, 'engine.js'))) throw new Error('Build first: npm run build (tests use the built engine).');
  const home = mkdtempSync(join(tmpdir(), 'featurescope-test-'));
  const host = createNodeHost('serve', builtDir, { ...process.env, FEATURESCOPE_HOME: home });
  await host.engine.whenReady(120_000);
  return {
    host,
    home,
    async dispose() {
      await host.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export function waitFor<T>(predicate: () => T | undefined, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const t0 = Date.now();
    const tick = () => {
      const v = predicate();
      if (v !== undefined) return resolvePromise(v);
      if (Date.now() - t0 > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}
