// Report paths of logged jobs (scan.run, audit.run) on real folders and a real SQLite file: a bad
// outPath is refused before any work with a message naming the folder, and the log entry and the
// report files are one unit — a failed write leaves no experiment behind and no stray copy.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logExperiment } from '../../../src/catalog/writes';
import { checkReportOutPath, logWithReport } from '../../../src/engine/handlers/report-out';
import { ScanRunInput } from '../../../src/shared/contract';
import { FeaturescopeError } from '../../../src/shared/errors';
import { newCatalog, tempDir } from '../catalog/helpers';

const tmp = tempDir('fs-report-out-');
afterAll(() => tmp.cleanup());

function thrown(fn: () => unknown): FeaturescopeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FeaturescopeError);
    return err as FeaturescopeError;
  }
  throw new Error('expected a FeaturescopeError, nothing was thrown');
}

const experiments = (cat: ReturnType<typeof newCatalog>) => cat.db.prepare('SELECT count(*) FROM experiments').pluck().get() as number;
const log = (cat: ReturnType<typeof newCatalog>) => () => logExperiment(cat, { kind: 'scan', saeId: null, inputs: {}, seed: null, outputs: {}, appVersion: '0.1.0' });

describe('report outPath', () => {
  it('the contract takes only an absolute .html path', () => {
    const base = { sae: 1, watchlist: 'w', source: { kind: 'prompts', prompts: ['a'] } };
    expect(ScanRunInput.safeParse({ ...base, outPath: '/tmp/r.html' }).success).toBe(true);
    expect(ScanRunInput.safeParse({ ...base, outPath: '/tmp/r.HTML' }).success).toBe(true);
    const notHtml = ScanRunInput.safeParse({ ...base, outPath: '/tmp/r.txt' });
    expect(notHtml.success ? '' : notHtml.error.issues[0]!.message).toContain('must end in .html');
    expect(ScanRunInput.safeParse({ ...base, outPath: 'r.html' }).success).toBe(false);
  });

  it('refuses a missing folder, a file as folder, a folder as target and a read-only folder, naming each', () => {
    expect(checkReportOutPath(join(tmp.dir, 'ok.html'))).toBe(join(tmp.dir, 'ok.html'));
    const missing = thrown(() => checkReportOutPath(join(tmp.dir, 'nope', 'r.html')));
    expect(missing).toMatchObject({ code: 'not_found', field: 'outPath' });
    expect(missing.message).toContain(`folder ${join(tmp.dir, 'nope')} does not exist`);
    writeFileSync(tmp.file('plain'), 'x');
    expect(thrown(() => checkReportOutPath(join(tmp.dir, 'plain', 'r.html'))).message).toContain('is not a folder');
    mkdirSync(tmp.file('dir.html'));
    expect(thrown(() => checkReportOutPath(tmp.file('dir.html'))).message).toContain('is a folder');
    expect(thrown(() => checkReportOutPath(tmp.file('r.htm'))).message).toContain('must end in .html');
  });

  it.skipIf(process.getuid?.() === 0)('refuses a folder this user cannot write (skipped as root, who can write anywhere)', () => {
    const ro = tmp.file('ro');
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    expect(thrown(() => checkReportOutPath(join(ro, 'r.html'))).message).toContain('is not writable');
    chmodSync(ro, 0o755);
  });

  it('writes outPath, then the workspace report, then commits the log; a failed write logs nothing', () => {
    const cat = newCatalog(tmp.file('log.db'));
    const out = tmp.file('out.html');
    const ok = logWithReport(cat, log(cat), (e) => ({ html: `<p>${e.citeId}</p>`, reportPath: join(tmp.dir, 'ws', 'scans', 'r.html') }), out);
    expect(ok.exportedTo).toBe(out);
    expect(readFileSync(out, 'utf8')).toBe(`<p>${ok.logged.citeId}</p>`);
    expect(readFileSync(ok.reportPath, 'utf8')).toBe(`<p>${ok.logged.citeId}</p>`);
    expect(experiments(cat)).toBe(1);

    // outPath's folder vanished after the check: the write fails and the log rolls back.
    expect(() => logWithReport(cat, log(cat), () => ({ html: 'x', reportPath: tmp.file('never.html') }), join(tmp.dir, 'gone', 'r.html'))).toThrow();
    expect(experiments(cat)).toBe(1);
    expect(existsSync(tmp.file('never.html'))).toBe(false);

    // The workspace report cannot be written: the log rolls back and the copy that would cite it is taken back.
    const out2 = tmp.file('out2.html');
    expect(() => logWithReport(cat, log(cat), () => ({ html: 'x', reportPath: join(tmp.file('plain'), 'r.html') }), out2)).toThrow();
    expect(experiments(cat)).toBe(1);
    expect(existsSync(out2)).toBe(false);
    cat.close();
  });
});
