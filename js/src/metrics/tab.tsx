/**
 * The Metrics tab: per metric a small chart with a line per served entity, from the samples
 * the kernel keeps (serving_panel/panel/metrics.py). Nothing is asked until the tab is first
 * shown; from then on the view asks every interval (sampler.ts) until it closes. The samples
 * come as data in replies, never in the synced snapshot (a notebook may save that).
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import type { Rpc } from "../bridge/rpc";
import { ErrorLine } from "../ui/errors";
import { Visible } from "../ui/visible";
import { Chart } from "./chart";
import { chartData, clock, METRICS } from "./data";
import { MetricsSampler } from "./sampler";
import "./metrics.css";

export interface MetricsTabProps {
  rpc: Rpc;
  /** Whether the Metrics tab is the selected one (the panel stays mounted while hidden). */
  active: boolean;
  /** The panel deleted the endpoint: sampling stops, the charts keep what was read. */
  gone?: boolean;
}

/** The time ranges offered; null is everything since sampling began. */
export const RANGES: Array<{ label: string; ms: number | null }> = [
  { label: "5 min", ms: 5 * 60_000 },
  { label: "15 min", ms: 15 * 60_000 },
  { label: "1 h", ms: 60 * 60_000 },
  { label: "All", ms: null },
];

export function MetricsTab({ rpc, active, gone = false }: MetricsTabProps) {
  const [, setTick] = useState(0);
  const [sampler] = useState(() => new MetricsSampler(rpc, () => setTick((tick) => tick + 1)));
  const [range, setRange] = useState<number | null>(null);

  useEffect(() => () => sampler.dispose(), [sampler]);
  useEffect(() => {
    if (active && !gone) sampler.start();
    sampler.setGone(gone);
  }, [active, gone, sampler]);

  const history = sampler.history;
  const times = history.times;
  const newest = times[times.length - 1];
  const first = times[0];
  const to = newest ?? 0;
  const from =
    first === undefined
      ? 0
      : Math.min(
          range === null ? first : Math.max(first, to - range),
          to - sampler.intervalS * 1000,
        );
  const charts = useMemo(
    () => METRICS.map((spec) => ({ spec, data: chartData(history, spec.key, from) })),
    [sampler.version, from],
  );
  const entities = [...history.entities.keys()];
  const every = `every ${sampler.intervalS} s`;

  const explanation = (
    <>
      While this tab is open in a view, the panel reads the endpoint's metrics {every} and keeps
      them in the kernel for this session (<code>panel.metrics_history_df()</code>; set{" "}
      <code>panel.metrics_interval_s</code> to change the interval). Each reading is the service's
      figure for the last minute: request rates are the minute's requests / 60, latency and queue
      time are estimated from the minute's histogram.
    </>
  );

  return (
    <div class="sp-metrics" data-testid="metrics" data-samples={times.length}>
      {sampler.phase === "gone" && (
        <p role="status" class="sp-muted" data-testid="metrics-gone">
          The endpoint was deleted: sampling stopped. The charts keep what was read before.
        </p>
      )}
      {sampler.error !== null && (
        <p role="alert" class="sp-metrics-error" data-testid="metrics-error">
          Reading the metrics failed: <ErrorLine error={sampler.error} />
          {times.length > 0 ? " The charts keep what was read before." : ""}
        </p>
      )}
      {times.length === 0 || entities.length === 0 ? (
        <div class="sp-empty" data-testid="metrics-empty">
          <p>
            {sampler.phase === "sampling"
              ? times.length === 0
                ? "No metrics read yet."
                : "No served entity reports metrics (nothing runs yet, or only external models)."
              : "Reading the metrics…"}
          </p>
          <p>{explanation}</p>
        </div>
      ) : (
        <>
          <div class="sp-metrics-bar">
            <span data-testid="metrics-status">
              {times.length} {times.length === 1 ? "sample" : "samples"} {every} since{" "}
              {clock(history.startedAt ?? first ?? 0)}
              {sampler.window === "lifetime"
                ? " (this workspace sends lifetime counters: rates are between samples)"
                : ", each over the last minute"}
            </span>
            <span class="sp-spacer" />
            <fieldset aria-label="Time range" class="sp-metrics-ranges">
              {RANGES.map((option) => (
                <button
                  type="button"
                  key={option.label}
                  class="sp-button"
                  aria-pressed={range === option.ms}
                  onClick={() => setRange(option.ms)}
                >
                  {option.label}
                </button>
              ))}
            </fieldset>
          </div>
          <ul class="sp-metrics-legend" aria-label="Served entities">
            {entities.map((name, i) => (
              <li key={name}>
                <span class={`sp-swatch sp-series-${i % 6}`} aria-hidden="true" />
                <Visible text={name} />
              </li>
            ))}
          </ul>
          <div class="sp-metrics-grid">
            {charts.map(({ spec, data }) => (
              <Chart
                key={spec.key}
                metric={spec.key}
                label={spec.label}
                unit={spec.unit}
                data={data}
                from={from}
                to={to}
              />
            ))}
          </div>
          <p class="sp-muted sp-metrics-note">{explanation}</p>
        </>
      )}
    </div>
  );
}
