// The punctuation and symbols search can find, shared by migration 0009 (which indexes them)
// and search.ts (which queries them): unicode61 drops every one of them, so `search --q .` used
// to match nothing and return every feature.

/** ASCII punctuation and common typographic symbols, each its own searchable token. */
export const SEARCH_SYMBOLS = [...'!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~', ...'…—–“”‘’«»·•°€£¥§¶©®™±×÷→←↑↓¿¡'];

/** FTS5 tokenizer of the symbols index: the symbols are token characters (letters and digits stay so too). */
export const SYMBOLS_TOKENIZE = `tokenize = "unicode61 tokenchars '${SEARCH_SYMBOLS.join('').replace(/'/g, "''").replace(/"/g, '""')}'"`;

/** `text` with a space each side of every symbol, so "self." and '."' index "." and '"' on their own. */
export function spaceSymbols(text: string): string {
  let out = '';
  for (const ch of text) out += SEARCH_SYMBOLS.includes(ch) ? ` ${ch} ` : ch;
  return out;
}

/** The same as SQL over expression `sql`: one replace() per symbol. */
export function spaceSymbolsSql(sql: string): string {
  return SEARCH_SYMBOLS.reduce((inner, ch) => `replace(${inner}, '${ch.replace(/'/g, "''")}', ' ${ch.replace(/'/g, "''")} ')`, sql);
}
