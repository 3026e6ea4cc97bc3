// Labelled prompts pasted as lines of `label<TAB>text` (as a spreadsheet copies two columns),
// parsed in the renderer so every bad line is named before anything reaches the engine.

export interface LabelledText {
  text: string;
  label: 0 | 1;
}

export interface ParsedExamples {
  examples: LabelledText[];
  /** One message per bad line, naming the line (1-based, as an editor counts). */
  errors: string[];
  counts: [number, number];
}

/** The contract's bound on one prompt. */
const MAX_TEXT = 20_000;

/**
 * Blank lines are skipped. A line is a label (0 or 1), a tab, then the text; spaces instead of the
 * tab are accepted too, since a tab cannot be typed into a text box. The text keeps its inner
 * spacing but not the separator.
 */
export function parseExampleLines(source: string): ParsedExamples {
  const examples: LabelledText[] = [];
  const errors: string[] = [];
  const counts: [number, number] = [0, 0];
  source.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trimEnd();
    if (line.trim() === '') return;
    const n = i + 1;
    const m = /^\s*(\S+?)(\t| +)(.*)$/.exec(line);
    const label = m?.[1] ?? line.trim();
    if (label !== '0' && label !== '1') {
      const shown = label.length > 12 ? `${label.slice(0, 12)}…` : label;
      errors.push(`line ${n}: starts with "${shown}"; a line is a label 0 or 1, a tab, then the text`);
      return;
    }
    const text = (m?.[3] ?? '').trim();
    if (text === '') {
      errors.push(`line ${n}: label ${label} has no text after it`);
      return;
    }
    if (text.length > MAX_TEXT) {
      errors.push(`line ${n}: ${text.length.toLocaleString()} characters; a prompt holds at most ${MAX_TEXT.toLocaleString()}`);
      return;
    }
    const l = label === '1' ? 1 : 0;
    counts[l]++;
    examples.push({ text, label: l });
  });
  return { examples, errors, counts };
}

/** What stops a parsed set from training a probe (each class needs prompts to train and to test on). */
export function examplesProblem(parsed: ParsedExamples): string | null {
  if (parsed.errors.length > 0) return `${parsed.errors.length} line${parsed.errors.length === 1 ? '' : 's'} cannot be read`;
  const [zeros, ones] = parsed.counts;
  if (zeros < 2 || ones < 2) return `label 0 has ${zeros} prompt${zeros === 1 ? '' : 's'}, label 1 has ${ones}; each label needs at least 2 (some to train on, some held out)`;
  return null;
}
