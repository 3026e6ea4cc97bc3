import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Start `featurescope serve` once for all specs, exactly as a user would, and hand its URL to them. */
export default async function globalSetup(): Promise<() => Promise<void>> {
  const home = mkdtempSync(join(tmpdir(), 'featurescope-e2e-'));
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
  process.env.FEATURESCOPE_URL = url;
  process.env.FEATURESCOPE_E2E_HOME = home;
  return async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(home, { recursive: true, force: true });
  };
}
