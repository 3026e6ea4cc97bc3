import { AbsolutePath } from './common';

/**
 * Where a job also writes its HTML report (scan.run, audit.run): an absolute path ending in .html.
 * The engine also checks, before the job starts, that its folder exists and is writable, so a long
 * job never ends in a failed write.
 */
export const HtmlReportPath = AbsolutePath.regex(/\.html$/i, 'must end in .html (the report is an HTML page)');
