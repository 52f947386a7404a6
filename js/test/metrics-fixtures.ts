/** Replies of the Metrics tab's `metrics.sample`, shaped as serving_panel/panel/metrics.py sends them. */
import { METRICS } from "../src/metrics/data";

/** A `metrics.sample` result as Python sends it: `rates[entity]` is its request_rate column. */
export function wireSample(
  rates: Record<string, Array<number | null>>,
  times: number[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const entities: Record<string, Record<string, Array<number | null>>> = {};
  for (const [name, column] of Object.entries(rates)) {
    entities[name] = Object.fromEntries(
      METRICS.map(({ key }) => [key, key === "request_rate" ? column : times.map(() => 1)]),
    );
  }
  return {
    interval_s: 10,
    history_s: 21600,
    started_at: times[0] ?? null,
    last: times.length,
    reset: true,
    times,
    entities,
    window: "last_minute",
    error: null,
    ...extra,
  };
}
