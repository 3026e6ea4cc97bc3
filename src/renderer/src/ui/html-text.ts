// ECharts renders a tooltip formatter's return value as HTML. Text that came from the user or
// the corpus (contrast-set side names, hook names, tokens) goes through htmlText on its way in,
// so `<img onerror=…>` in a side name shows as those characters and never becomes an element.

const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** `s` as HTML text: the five characters HTML treats as markup become entities. */
export function htmlText(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITY[c]!);
}
