// The Probes view reads pasted `label<TAB>text` lines itself, so each bad line is named before
// anything reaches the engine.

import { describe, expect, it } from 'vitest';
import { examplesProblem, parseExampleLines } from '../../../src/renderer/src/audit/examples';

describe('pasted probe examples', () => {
  it('reads tab- or space-separated lines, skips blank ones and keeps the text as typed', () => {
    const parsed = parseExampleLines('0\tThe cat  sat\r\n\n1   The dog\tsat \n  1\tA dog');
    expect(parsed.errors).toEqual([]);
    expect(parsed.examples).toEqual([
      { text: 'The cat  sat', label: 0 },
      { text: 'The dog\tsat', label: 1 },
      { text: 'A dog', label: 1 },
    ]);
    expect(parsed.counts).toEqual([1, 2]);
  });

  it('names every bad line by its number in the box', () => {
    const parsed = parseExampleLines(['0\tfine', 'The dog sat', '', '2\ttwo', '1', `1\t${'x'.repeat(20_001)}`, 'yes\tno'].join('\n'));
    expect(parsed.errors).toEqual([
      'line 2: starts with "The"; a line is a label 0 or 1, a tab, then the text',
      'line 4: starts with "2"; a line is a label 0 or 1, a tab, then the text',
      'line 5: label 1 has no text after it',
      'line 6: 20,001 characters; a prompt holds at most 20,000',
      'line 7: starts with "yes"; a line is a label 0 or 1, a tab, then the text',
    ]);
    expect(parsed.examples).toEqual([{ text: 'fine', label: 0 }]);
    expect(examplesProblem(parsed)).toBe('5 lines cannot be read');
  });

  it('needs two prompts of each label before it asks the engine', () => {
    expect(examplesProblem(parseExampleLines('0\ta\n0\tb\n1\tc'))).toBe('label 0 has 2 prompts, label 1 has 1; each label needs at least 2 (some to train on, some held out)');
    expect(examplesProblem(parseExampleLines('0\ta\n0\tb\n1\tc\n1\td'))).toBeNull();
  });
});
