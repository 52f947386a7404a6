/**
 * The lines of one log, column by column, appended a page at a time.
 *
 * Columns keep filtering cheap: the level filter scans one Uint8Array, the search one array of
 * lower-case strings computed once per line as its page arrives (never per keystroke).
 *
 * Messages are kept as plain text, their ANSI escape sequences stripped on arrival; the few
 * lines that had any keep their raw text aside, so the list can colour them while in view.
 */
import { stripAnsi } from "./ansi";
import { levelRank, type WireLine } from "./types";

export class LogBuffer {
  lineNo: number[] = [];
  time: Array<number | null> = [];
  level: Array<string | null> = [];
  /** The message as shown: without escape sequences. */
  message: string[] = [];
  /** The raw message of each line that held escape sequences, by index (ansi.ts). */
  styled = new Map<number, string>();
  /** `message.toLowerCase()`, for case-insensitive search. */
  lower: string[] = [];
  continuation: boolean[] = [];
  /** Level rank per line (see types.levelRank); only the first `length` entries count. */
  rank: Uint8Array = new Uint8Array(1024);
  /** The longest message, in UTF-16 code units (sizes the unwrapped list's width). */
  longest = 0;
  /** Bumped by every change: what memoised views of the buffer depend on. */
  version = 0;

  get length(): number {
    return this.message.length;
  }

  append(lines: readonly WireLine[]): void {
    if (lines.length === 0) return;
    const start = this.length;
    const needed = start + lines.length;
    if (needed > this.rank.length) {
      let capacity = this.rank.length;
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.rank.subarray(0, start));
      this.rank = grown;
    }
    let longest = this.longest;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as WireLine;
      const raw = typeof line[3] === "string" ? line[3] : String(line[3] ?? "");
      const message = stripAnsi(raw);
      if (message !== raw) this.styled.set(start + i, raw);
      const level = typeof line[2] === "string" ? line[2] : null;
      this.lineNo.push(typeof line[0] === "number" ? line[0] : start + i + 1);
      this.time.push(typeof line[1] === "number" ? line[1] : null);
      this.level.push(level);
      this.message.push(message);
      this.lower.push(message.toLowerCase());
      this.continuation.push(line[4] === true);
      this.rank[start + i] = levelRank(level);
      if (message.length > longest) longest = message.length;
    }
    this.longest = longest;
    this.version += 1;
  }

  clear(): void {
    this.lineNo = [];
    this.time = [];
    this.level = [];
    this.message = [];
    this.styled = new Map();
    this.lower = [];
    this.continuation = [];
    this.rank = new Uint8Array(1024);
    this.longest = 0;
    this.version += 1;
  }
}
