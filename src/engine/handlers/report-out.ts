// Reports of logged jobs (scan.run, audit.run): the copy written where the user asked (`outPath`)
// is checked before the job's work starts — inside the workspace for a browser caller, the folder
// exists, is a folder and is writable, the path is not a folder, no existing file is replaced
// without force — so an hour-long scan does not end in a failed write; and the log entry and the
// report files are written as one unit.
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { inWriteTransaction, type Catalog } from '../../catalog';
import { FeaturescopeError } from '../../shared/errors';
import { writeFileAtomic } from '../formats/atomic';
import { checkOutputFile, type OutputRules } from './output-path';

/** The resolved path, or a refusal on `field` naming the folder or file and what is wrong. */
export function checkReportOutPath(path: string, rules: Omit<OutputRules, 'field'> & { field?: string } = { caller: 'cli', workspace: '', force: false }): string {
  const field = rules.field ?? 'outPath';
  const target = resolve(path);
  if (!/\.html$/i.test(target)) throw new FeaturescopeError('invalid_input', `${field}: ${target} must end in .html (the report is an HTML page).`, field);
  return checkOutputFile(target, { ...rules, field });
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
  return inWriteTransaction(catalog, (): WrittenReports<T> => {
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
  });
}
