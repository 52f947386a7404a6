/** Small, pure formatters for what the panel shows. Times are epoch milliseconds. */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago", then the date. */
export function relativeTime(ms: number, now: number): string {
  const age = now - ms;
  if (age < 10_000) return "just now"; // includes small clock skew into the future
  if (age < MINUTE) return `${Math.floor(age / 1000)} s ago`;
  if (age < HOUR) return `${Math.floor(age / MINUTE)} min ago`;
  if (age < DAY) return `${Math.floor(age / HOUR)} h ago`;
  if (age < 30 * DAY) return `${Math.floor(age / DAY)} d ago`;
  return `on ${exactTime(ms).slice(0, 10)}`;
}

const pad = (n: number): string => String(n).padStart(2, "0");

/** Local time as "YYYY-MM-DD HH:MM:SS UTC+hh:mm": unambiguous whatever the browser's locale. */
export function exactTime(ms: number): string {
  const d = new Date(ms);
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  const abs = Math.abs(offset);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ` +
    `UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** 80 → "80%", 33.333 → "33.3%". */
export function percent(value: number): string {
  return `${Math.round(value * 10) / 10}%`;
}

/** A config version as "v3" ("v?" when unknown). */
export function version(value: number | null): string {
  return value === null ? "v?" : `v${value}`;
}

export function yesNo(value: boolean | null): string {
  if (value === null) return "—";
  return value ? "yes" : "no";
}
