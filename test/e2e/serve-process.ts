// `featurescope serve` as a user starts it, on a fresh data folder: the shared server of every spec
// (global-setup.ts), and the own server of a spec that needs an empty workspace (first run, Get started).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface ServeProcess {
  /** The tokened address serve printed. */
  url: string;
  /** Its FEATURESCOPE_HOME. */
  home: string;
  /** SIGTERM, wait for the exit, remove the data folder. */
  stop(): Promise<void>;
}

export async function startServe(prefix: string): Promise<ServeProcess> {
  const home = mkdtempSync(join(tmpdir(), prefix));
  const bin = resolve(__dirname, '../../bin/featurescope.js');
  const child = spawn(process.execPath, [bin, 'serve'], { env: { ...process.env, FEATURESCOPE_HOME: home }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`featurescope serve printed no URL in 120 s:\n${out}`)), 120_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[0]);
      }
    });
    child.on('exit', (code) => reject(new Error(`featurescope serve exited with ${code}:\n${out}`)));
  });
  return {
    url,
    home,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}
