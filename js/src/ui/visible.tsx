/**
 * Characters that change how text reads without being seen (bidirectional overrides and
 * isolates, zero-width spaces and joiners, the byte order mark), shown as visible marks.
 *
 * A right-to-left override in a tag or a model name can make "evil\u202Eexe.txt" read as
 * "eviltxt.exe"; a zero-width space makes two names that look equal differ. Server strings
 * are shown as text (never HTML) everywhere; this makes those characters visible too, as
 * `⟦U+202E⟧`, marked and named in a tooltip. A zero-width joiner between two pictographs
 * (the family emoji) is left alone: there it is how the emoji is written.
 */

/** Every invisible formatting character we mark, by code point. */
const NAMES: Record<number, string> = {
  1564: "ARABIC LETTER MARK",
  6158: "MONGOLIAN VOWEL SEPARATOR",
  8203: "ZERO WIDTH SPACE",
  8204: "ZERO WIDTH NON-JOINER",
  8205: "ZERO WIDTH JOINER",
  8206: "LEFT-TO-RIGHT MARK",
  8207: "RIGHT-TO-LEFT MARK",
  8234: "LEFT-TO-RIGHT EMBEDDING",
  8235: "RIGHT-TO-LEFT EMBEDDING",
  8236: "POP DIRECTIONAL FORMATTING",
  8237: "LEFT-TO-RIGHT OVERRIDE",
  8238: "RIGHT-TO-LEFT OVERRIDE",
  8288: "WORD JOINER",
  8289: "FUNCTION APPLICATION",
  8290: "INVISIBLE TIMES",
  8291: "INVISIBLE SEPARATOR",
  8292: "INVISIBLE PLUS",
  8294: "LEFT-TO-RIGHT ISOLATE",
  8295: "RIGHT-TO-LEFT ISOLATE",
  8296: "FIRST STRONG ISOLATE",
  8297: "POP DIRECTIONAL ISOLATE",
  65279: "ZERO WIDTH NO-BREAK SPACE",
};

const INVISIBLE =
  /(?<!\p{Extended_Pictographic}\uFE0F?)\u200D|\u200D(?!\p{Extended_Pictographic})|[\u061C\u180E\u200B\u200C\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/gu;

export type Piece =
  | { text: string; invisible: false }
  | { code: string; name: string; invisible: true };

function codeOf(char: string): string {
  return `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/** The text cut into plain runs and the invisible characters between them. */
export function pieces(text: string): Piece[] {
  const out: Piece[] = [];
  let last = 0;
  for (const match of text.matchAll(INVISIBLE)) {
    const at = match.index ?? 0;
    if (at > last) out.push({ text: text.slice(last, at), invisible: false });
    const char = match[0];
    out.push({ code: codeOf(char), name: NAMES[char.codePointAt(0) ?? 0] ?? "", invisible: true });
    last = at + char.length;
  }
  if (last < text.length) out.push({ text: text.slice(last), invisible: false });
  return out;
}

export function hasInvisible(text: string): boolean {
  INVISIBLE.lastIndex = 0;
  const found = INVISIBLE.test(text);
  INVISIBLE.lastIndex = 0;
  return found;
}

/** The text with each invisible character written as `⟦U+202E⟧`: for attributes and copies. */
export function visibleText(text: string): string {
  return text.replace(INVISIBLE, (char) => `⟦${codeOf(char)}⟧`);
}

/** Renders a server string as text, its invisible characters as marked `⟦U+202E⟧`. */
export function Visible({ text }: { text: string }) {
  if (!hasInvisible(text)) return <>{text}</>;
  return (
    <>
      {pieces(text).map((piece, index) =>
        piece.invisible ? (
          <span
            key={index}
            class="sp-invisible"
            title={`${piece.code} ${piece.name}: an invisible character`}
            data-testid="invisible-char"
          >
            ⟦{piece.code}⟧
          </span>
        ) : (
          piece.text
        ),
      )}
    </>
  );
}
