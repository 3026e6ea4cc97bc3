import { visibleParts } from './tokens';

/** A token with its whitespace drawn as dim markers (· ↵ →), so " the" and "the" differ at a glance. */
export function TokenText({ token }: { token: string }) {
  return (
    <>
      {visibleParts(token).map((p, i) =>
        p.marker ? (
          <span key={i} className="ws">
            {p.text}
          </span>
        ) : (
          p.text
        ),
      )}
    </>
  );
}
