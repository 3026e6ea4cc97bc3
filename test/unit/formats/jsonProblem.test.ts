import { describe, expect, it } from 'vitest';
import { jsonSyntaxProblem } from '../../../src/engine/formats/jsonProblem';

describe('jsonSyntaxProblem says where JSON breaks, never what the text holds', () => {
  it.each([
    ['root:x:0:0:root:/root:/bin/bash', 'not valid JSON (syntax error at line 1, column 1)'],
    ['{\n  "a": 1,\n  "b": secret-value\n}', 'not valid JSON (syntax error at line 3, column 8)'],
    ['{"a": 1', 'not valid JSON (syntax error at line 1, column 8)'],
  ])('%j', (text, problem) => {
    let native = '';
    try {
      JSON.parse(text);
    } catch (err) {
      native = (err as Error).message;
    }
    expect(native).not.toBe(''); // JSON.parse refuses it too
    expect(jsonSyntaxProblem(text)).toBe(problem);
    expect(jsonSyntaxProblem(text)).not.toMatch(/root|secret/);
  });
});
