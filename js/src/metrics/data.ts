/**
 * The Metrics tab's data: what `metrics.sample` answers (serving_panel/panel/metrics.py),
 * read without trusting its shape, merged into a columnar history (one time column, one value
 * column per entity and metric, aligned), and cut into what one chart draws.
 *
 * Every value covers the service's last minute (its gauges and histograms are last-minute
 * figures), so a point is a reading of that minute, not of the interval since the last one.
 */
import { fields, isObject, list, num, str } from "../bridge/wire";
import { type ErrorView, errorFromWire } from "../ui/errors";

export type MetricKey =
  | "request_rate"
  | "latency_p50_ms"
  | "latency_p95_ms"
  | "latency_p99_ms"
  | "rate_4xx"
  | "rate_5xx"
  | "cpu_percent"
  | "mem_percent"
  | "provisioned_concurrency"
  | "queue_p50_ms";

export type MetricSpec = { key: MetricKey; label: string; unit: string };

/** The charts, in order. */
export const METRICS: MetricSpec[] = [
  { key: "request_rate", label: "Request rate", unit: "req/s" },
  { key: "latency_p50_ms", label: "Latency p50", unit: "ms" },
  { key: "latency_p95_ms", label: "Latency p95", unit: "ms" },
  { key: "latency_p99_ms", label: "Latency p99", unit: "ms" },
  { key: "rate_4xx", label: "4xx rate", unit: "req/s" },
  { key: "rate_5xx", label: "5xx rate", unit: "req/s" },
  { key: "cpu_percent", label: "CPU", unit: "%" },
  { key: "mem_percent", label: "Memory", unit: "%" },
  { key: "provisioned_concurrency", label: "Provisioned concurrency", unit: "req" },
  { key: "queue_p50_ms", label: "Queue time p50", unit: "ms" },
];

export type Column = Array<number | null>;

/** One `metrics.sample` answer, read. */
export type SampleReply = {
  intervalS: number;
  historyS: number;
  startedAt: number | null;
  last: number;
  reset: boolean;
  times: number[];
  entities: Map<string, Map<MetricKey, Column>>;
  window: string;
  error: ErrorView | null;
};

export function normalizeSample(raw: unknown): SampleReply {
  const r = fields(raw);
  const times = list(r.times).map((t) => num(t) ?? 0);
  const entities = new Map<string, Map<MetricKey, Column>>();
  const wire = fields(r.entities);
  for (const name of Object.keys(wire)) {
    const own = fields(wire[name]);
    const columns = new Map<MetricKey, Column>();
    for (const { key } of METRICS) {
      const values = list(own[key]);
      columns.set(
        key,
        times.map((_, i) => num(values[i])),
      );
    }
    entities.set(name, columns);
  }
  return {
    intervalS: Math.max(1, num(r.interval_s) ?? 10),
    historyS: num(r.history_s) ?? 6 * 3600,
    startedAt: num(r.started_at),
    last: num(r.last) ?? 0,
    reset: r.reset !== false,
    times,
    entities,
    window: str(r.window, "last_minute"),
    error: isObject(r.error) ? errorFromWire(r.error) : null,
  };
}

/** What the view has of the kernel's history: times, and per entity a column per metric. */
export class History {
  times: number[] = [];
  readonly entities = new Map<string, Map<MetricKey, Column>>();
  last = 0;
  startedAt: number | null = null;

  /** Adds one answer (or replaces everything, when Python says so), then drops what is older
   * than `historyS` before the newest time. */
  merge(reply: SampleReply): void {
    if (reply.reset) {
      this.times = [];
      this.entities.clear();
    }
    const before = this.times.length;
    const added = reply.times.length;
    this.times.push(...reply.times);
    for (const [name, columns] of this.entities) {
      const incoming = reply.entities.get(name);
      for (const { key } of METRICS) {
        const column = columns.get(key) ?? [];
        column.push(...(incoming?.get(key) ?? new Array<null>(added).fill(null)));
      }
    }
    for (const [name, incoming] of reply.entities) {
      if (this.entities.has(name)) continue;
      const columns = new Map<MetricKey, Column>();
      for (const { key } of METRICS) {
        columns.set(key, [...new Array<null>(before).fill(null), ...(incoming.get(key) ?? [])]);
      }
      this.entities.set(name, columns);
    }
    this.last = reply.last;
    this.startedAt = reply.startedAt;
    const newest = this.times[this.times.length - 1];
    if (newest !== undefined) this.dropBefore(newest - reply.historyS * 1000);
  }

  private dropBefore(cutoff: number): void {
    const keep = this.times.findIndex((t) => t >= cutoff);
    const drop = keep < 0 ? this.times.length : keep;
    if (drop === 0) return;
    this.times = this.times.slice(drop);
    for (const columns of this.entities.values()) {
      for (const [key, column] of columns) columns.set(key, column.slice(drop));
    }
  }
}

/** One chart's data: the times in range and one line per entity. */
export type ChartData = {
  times: number[];
  lines: Array<{ entity: string; values: Column }>;
};

/** The points of `metric` from `from` (epoch ms; null: everything kept). */
export function chartData(history: History, metric: MetricKey, from: number | null): ChartData {
  const start = from === null ? 0 : lowerBound(history.times, from);
  return {
    times: history.times.slice(start),
    lines: [...history.entities].map(([entity, columns]) => ({
      entity,
      values: (columns.get(metric) ?? []).slice(start),
    })),
  };
}

/** The first index whose time is at least `t` (times ascending). */
export function lowerBound(times: number[], t: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((times[mid] ?? 0) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of the time nearest `t`, or -1 for no times. */
export function nearestIndex(times: number[], t: number): number {
  if (times.length === 0) return -1;
  const i = lowerBound(times, t);
  if (i === 0) return 0;
  if (i >= times.length) return times.length - 1;
  return t - (times[i - 1] ?? 0) <= (times[i] ?? 0) - t ? i - 1 : i;
}

/** The largest value of the lines, for the y axis (at least a small positive number). */
export function maxValue(data: ChartData): number {
  let max = 0;
  for (const line of data.lines) {
    for (const value of line.values) if (value !== null && value > max) max = value;
  }
  return max > 0 ? max : 1;
}

/** A value with its unit, short: "0.1 req/s", "12.5 ms", "37%", "4 req"; "–" for none. */
export function formatValue(value: number | null, unit: string): string {
  if (value === null) return "–";
  const abs = Math.abs(value);
  const digits = abs === 0 || abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  const text = String(Number(value.toFixed(digits)));
  return unit === "%" ? `${text}%` : `${text} ${unit}`;
}

/** "HH:MM:SS", local time. */
export function clock(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
