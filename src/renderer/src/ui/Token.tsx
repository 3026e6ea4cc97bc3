import { tokenParts, type TokenForm } from '@shared/token-display';

/**
 * A token's text, the one renderer every view uses: whitespace as readable markers (· ↵ →),
 * byte tokens as their bytes (<0xE2>), the tail of a merged byte run as a thin continuation.
 * `chip` for a token on its own, `inline` inside running text (examples, prompts).
 */
export function Token({ text, form = 'chip' }: { text: string; form?: TokenForm }) {
  return (
    <>
      {tokenParts(text, form).map((p, i) =>
        p.kind === 'text' ? (
          p.text
        ) : (
          <span key={i} className={`tk-${p.kind}`}>
            {p.text}
          </span>
        ),
      )}
    </>
  );
}

/** A token on its own in a bordered chip (top tokens, tables). */
export function TokenChip({ text, title }: { text: string; title?: string }) {
  return (
    <span className="tok-chip" title={title}>
      <Token text={text} />
    </span>
  );
}
