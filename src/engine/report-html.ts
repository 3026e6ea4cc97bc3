// What every self-contained HTML file the engine writes (audit report, scan report, feature
// dashboard) shares: escaping, and a head that forbids scripts and network loads, so a page sent
// to a colleague runs nothing and fetches nothing.

/** Text made safe for HTML element content and quoted attribute values. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `<!doctype html>` through `<style>`: UTF-8, a CSP that allows inline CSS and data: images only. */
export function reportHead(title: string, css: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>
${css}
</style></head>`;
}
