// Reports of logged jobs (scan.run, audit.run): the copy written where the user asked (`outPath`)
// is checked before the job's work starts — the folder exists, is a folder and is writable, the
// path is not a folder — so an hour-long scan does not end in a failed write; and the log entry
// and the report files are written as one unit.
import { accessSync, constants, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Catalog } from '../../catalog';
import { FeaturescopeError } from '../../shared/errors';
import { writeFileAtomic } from '../formats/atomic';

/** The resolved path, or a refusal on `field` naming the folder or file and what is wrong. */
export function checkReportOutPath(path: string, field = 'outPath'): string {
  const target = resolve(path);
  if (!/\.html$/i.test(target)) throw new FeaturescopeError('invalid_input', `${field}: ${target} must end in .html (the report is an HTML page).`, field);
  const folder = dirname(target);
  const dir = statSync(folder, { throwIfNoEntry: false });
  if (dir === undefined) throw new FeaturescopeError('not_found', `${field}: folder ${folder} does not exist; create it or pick another.`, field);
  if (!dir.isDirectory()) throw new FeaturescopeError('invalid_input', `${field}: ${folder} is not a folder.`, field);
  // The report is written to a temp file in the same folder and renamed over the target.
  try {
    accessSync(folder, constants.W_OK | constants.X_OK);
  } catch {
    throw new FeaturescopeError('invalid_input', `${field}: folder ${folder} is not writable by this user; pick another.`, field);
  }
  if (statSync(target, { throwIfNoEntry: false })?.isDirectory()) throw new FeaturescopeError('invalid_input', `${field}: ${target} is a folder; give a file name ending in .html.`, field);
  return target;
}

export interface WrittenReports<T> {
  logged: T;
  reportPath: string;
  exportedTo: string | null;
}

/**
 * Logs a job's experiments and writes its report as one unit: in one catalog transaction, `log`
 * writes the rows, `render` builds the report with their cite ids, the report goes to `outPath`
 * (checked earlier with checkReportOutPath) and then to the workspace. A failed write rolls the
 * log back, so the log never cites a run whose report was not written.
 */
export function logWithReport<T>(catalog: Catalog, log: () => T, render: (logged: T) => { html: string; reportPath: string }, outPath: string | undefined): WrittenReports<T> {
  return catalog.db
    .transaction((): WrittenReports<T> => {
      const logged = log();
      const { html, reportPath } = render(logged);
      const exportedTo = outPath === undefined ? null : resolve(outPath);
      if (exportedTo !== null) writeFileAtomic(exportedTo, html);
      try {
        mkdirSync(dirname(reportPath), { recursive: true });
        writeFileAtomic(reportPath, html);
      } catch (err) {
        // The log rolls back: take back the copy that would cite it.
        if (exportedTo !== null) rmSync(exportedTo, { force: true });
        throw err;
      }
      return { logged, reportPath, exportedTo };
    })
    .immediate();
}
