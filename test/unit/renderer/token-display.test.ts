import { describe, expect, it } from 'vitest';
import { tokenLabelText, tokenParts, tokenTitle } from '../../../src/shared/token-display';
import { showToken } from '../../../src/cli/format';

describe('one token display for every view and the CLI', () => {
  it('a chip makes whitespace visible and counts long runs of spaces', () => {
    expect(tokenLabelText(' the')).toBe('·the');
    expect(tokenLabelText('\n     ')).toBe('↵·×5'); // was "↵·····"
    expect(tokenLabelText('   ')).toBe('···');
    expect(tokenParts('  hi\n')).toEqual([
      { text: '··', kind: 'space' },
      { text: 'hi', kind: 'text' },
      { text: '↵', kind: 'newline' },
    ]);
  });

  it('running text keeps spaces as spaces; line breaks and tabs are marked', () => {
    expect(tokenLabelText(' looked', 'inline')).toBe(' looked');
    expect(tokenParts(' looked', 'inline')).toEqual([{ text: ' looked', kind: 'text' }]);
    expect(tokenParts('  ', 'inline')).toEqual([{ text: '  ', kind: 'text' }]);
    expect(tokenParts('\t', 'inline')).toEqual([{ text: '→', kind: 'tab' }]);
    expect(tokenParts('.\n', 'inline')).toEqual([
      { text: '.', kind: 'text' },
      { text: '↵', kind: 'newline' },
    ]);
  });

  it('byte tokens are their bytes, each its own part; the tail of a merged run is a continuation', () => {
    expect(tokenParts('<0xE2><0x80>')).toEqual([
      { text: '<0xE2>', kind: 'byte' },
      { text: '<0x80>', kind: 'byte' },
    ]);
    expect(tokenParts(' <0xE2>')).toEqual([
      { text: '·', kind: 'space' },
      { text: '<0xE2>', kind: 'byte' },
    ]);
    expect(tokenParts('', 'inline')).toEqual([{ text: '', kind: 'continued' }]);
    expect(tokenLabelText('')).toBe('∅');
    expect(tokenTitle('<0xE2>')).toMatch(/byte/);
    expect(tokenTitle('<0xE2>')).toMatch(/byte/); // no regex state carried between calls
    expect(tokenTitle('')).toMatch(/character shown before/);
    expect(tokenTitle(' the')).toBeUndefined();
  });

  it('the CLI prints tokens the same way', () => {
    expect(showToken('\n     ')).toBe('↵·×5');
    expect(showToken('\tx')).toBe('→x');
    expect(showToken('<0xE2>')).toBe('<0xE2>');
    expect(['€', '', ''].map(showToken).join('')).toBe('€'); // a merged byte run prints once
  });
});
