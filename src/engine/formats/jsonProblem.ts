// Why a file's text is not JSON, said as a place in the file, never as its text. JSON.parse's own
// messages quote the bytes around the error (`Unexpected token 'r', "root:x:0:0"... is not valid
// JSON`), and an error must not carry the contents of a file the caller may not read otherwise.
import { parseStrictJson, StrictJsonError } from './strictJson';

/** "not valid JSON (syntax error at line L, column C)" for text JSON.parse refused. */
export function jsonSyntaxProblem(text: string): string {
  try {
    parseStrictJson(text, { maxDepth: 100_000 });
  } catch (err) {
    // The strict parser stops at the first problem; a duplicate key is not the syntax error JSON.parse saw.
    if (err instanceof StrictJsonError && !err.message.startsWith('duplicate key')) {
      const { line, column } = lineAndColumn(text, err.position);
      return `not valid JSON (syntax error at line ${line}, column ${column})`;
    }
  }
  return 'not valid JSON';
}

function lineAndColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < position; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: position - lineStart + 1 };
}
