/**
 * Reading what Python sent (a reply's result, a synced trait) without trusting its shape: a
 * saved notebook, an older package or a hand-set trait may give anything. Each feature's
 * `normalizeX` builds its typed value from these, so a view never throws on a partial answer
 * and a contract test can feed Python-recorded fixtures to one pure function per reply.
 */

export type Loose = Record<string, unknown>;

export function isObject(value: unknown): value is Loose {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `value` if it is an object, else an empty one: fields then read as missing. */
export function fields(value: unknown): Loose {
  return isObject(value) ? value : {};
}

export function str(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : fallback;
}

/** A string, a number as its text, or null. */
export function strOrNull(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return null;
}

/** A finite number, or null. */
export function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The strings of a list, the rest dropped. */
export function strings(value: unknown): string[] {
  return list(value).filter((item): item is string => typeof item === "string");
}
