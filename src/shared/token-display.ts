// How a token's text is shown, in one place for every view (feature pages, playground, scan,
// audit) and for canvas labels (logit and next-token charts). The engine stores token text in
// context (ModelTokenizer.tokenTexts): " looked" keeps its space, a byte token that is only part
// of a character reads "<0xE2>", and a run of byte tokens making one character carries it on the
// run's first token and "" on the rest.
//
// Two forms: a chip (a token on its own: top tokens, logit tables) makes every whitespace
// character visible, so " the", "the" and "\n" differ; running text (examples, the prompt, a
// continuation) keeps spaces as spaces so it reads as text ("The cat sat", its heat showing where
// each token starts), and marks only line breaks, tabs and control characters.

export type TokenForm = 'chip' | 'inline';

export type TokenPartKind = 'text' | 'space' | 'newline' | 'tab' | 'control' | 'byte' | 'continued';

export interface TokenPart {
  text: string;
  kind: TokenPartKind;
}

/** Runs of more spaces than this show as "·×N" in a chip: "↵·····" is hard to count. */
const COUNTED_SPACES = 3;
const BYTE = /<0x[0-9A-F]{2}>/g;

/** The parts of a token as shown in `form`. "" (the tail of a byte run) is one `continued` part. */
export function tokenParts(token: string, form: TokenForm = 'chip'): TokenPart[] {
  if (token.length === 0) return [{ text: form === 'chip' ? '∅' : '', kind: 'continued' }];
  const parts: TokenPart[] = [];
  const push = (text: string, kind: TokenPartKind) => {
    const prev = parts[parts.length - 1];
    if (prev !== undefined && prev.kind === kind && kind !== 'byte') prev.text += text;
    else parts.push({ text, kind });
  };
  let last = 0;
  for (const m of token.matchAll(BYTE)) {
    pushChars(token.slice(last, m.index), form, push);
    push(m[0], 'byte');
    last = m.index + m[0].length;
  }
  pushChars(token.slice(last), form, push);
  return form === 'chip' ? parts.map(countSpaces) : parts;
}

function pushChars(s: string, form: TokenForm, push: (text: string, kind: TokenPartKind) => void): void {
  for (const ch of s) {
    if (ch === ' ') push(form === 'chip' ? '·' : ' ', form === 'chip' ? 'space' : 'text');
    else if (ch === '\n') push('↵', 'newline');
    else if (ch === '\r') push('␍', 'newline');
    else if (ch === '\t') push('→', 'tab');
    else if (/[\p{Cc}\p{Cf}]/u.test(ch)) push(`\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`, 'control');
    else push(ch, 'text');
  }
}

function countSpaces(p: TokenPart): TokenPart {
  return p.kind === 'space' && p.text.length > COUNTED_SPACES ? { kind: 'space', text: `·×${p.text.length}` } : p;
}

/** The token as one plain string (canvas labels, tooltips, table cells). */
export function tokenLabelText(token: string, form: TokenForm = 'chip'): string {
  return tokenParts(token, form)
    .map((p) => p.text)
    .join('');
}

/** What a tooltip says about a token beyond its text: byte tokens and merged byte runs explained. */
export function tokenTitle(token: string): string | undefined {
  if (token === '') return 'byte token: part of the character shown before it';
  if (/<0x[0-9A-F]{2}>/.test(token)) {
    return 'byte token: a part of a UTF-8 character, shown as its byte';
  }
  return undefined;
}
