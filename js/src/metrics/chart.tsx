/**
 * One small line chart: a metric over time, one line per served entity, drawn as SVG paths
 * (no chart library: uPlot 1.6.32 adds 22.8 KB gzipped to the JS and 0.8 KB of CSS, which
 * with this tab takes the bundle from 36.0 KB to about 62 KB, past its 60 KB budget; this
 * chart costs about 1 KB). The SVG stretches to its box (`preserveAspectRatio="none"`, the
 * strokes kept thin by `vector-effect`), so it needs no measuring; a gap in a line is a read
 * where the entity had no value. Hovering shows the values at the nearest read; otherwise the
 * line under the chart shows the newest.
 *
 * Everything the server named (entity names) is rendered as text by Preact.
 */
import { useState } from "preact/hooks";
import { type ChartData, clock, formatValue, maxValue, nearestIndex } from "./data";

/** The SVG's own coordinates; the box stretches them. */
const W = 1000;
const H = 100;
const PAD = 4;

export interface ChartProps {
  metric: string;
  label: string;
  unit: string;
  data: ChartData;
  /** The x axis' ends, epoch ms. */
  from: number;
  to: number;
}

export function linePath(
  times: number[],
  values: Array<number | null>,
  from: number,
  to: number,
  max: number,
): string {
  const span = to - from || 1;
  let path = "";
  let drawing = false;
  times.forEach((t, i) => {
    const value = values[i] ?? null;
    if (value === null) {
      drawing = false;
      return;
    }
    const x = (((t - from) / span) * W).toFixed(1);
    const y = (H - PAD - (Math.min(value, max) / max) * (H - 2 * PAD)).toFixed(1);
    path += `${drawing ? "L" : "M"}${x} ${y}`;
    // A lone point (no neighbour with a value) still shows, as a dot of the round line cap.
    if (!drawing && (values[i + 1] ?? null) === null) path += "h0";
    drawing = true;
  });
  return path;
}

export function Chart({ metric, label, unit, data, from, to }: ChartProps) {
  const [hover, setHover] = useState<number | null>(null);
  const max = maxValue(data);
  const points = data.lines.reduce(
    (sum, line) => sum + line.values.filter((v) => v !== null).length,
    0,
  );
  const at = hover ?? data.times.length - 1;
  const time = data.times[at];

  const onMove = (event: PointerEvent): void => {
    const box = (event.currentTarget as SVGElement).getBoundingClientRect();
    if (box.width <= 0) return;
    const t = from + ((event.clientX - box.left) / box.width) * (to - from);
    const index = nearestIndex(data.times, t);
    setHover(index < 0 ? null : index);
  };

  const cursor =
    hover !== null && time !== undefined ? ((time - from) / (to - from || 1)) * W : null;
  return (
    <figure class="sp-chart" data-testid={`chart-${metric}`} data-points={points}>
      <figcaption class="sp-chart-title">
        {label} <span class="sp-muted">{unit}</span>
        <span class="sp-chart-max sp-muted" title="The top of the chart">
          {formatValue(max, unit)}
        </span>
      </figcaption>
      <svg
        class="sp-chart-plot"
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`${label} per served entity over time`}
        onPointerMove={onMove}
        onPointerLeave={() => setHover(null)}
      >
        <line class="sp-chart-base" x1={0} x2={W} y1={H - PAD} y2={H - PAD} />
        {data.lines.map((line, i) => (
          <path
            key={line.entity}
            class={`sp-chart-line sp-series-${i % 6}`}
            d={linePath(data.times, line.values, from, to, max)}
            data-entity={line.entity}
            vector-effect="non-scaling-stroke"
          />
        ))}
        {cursor !== null && (
          <line
            class="sp-chart-cursor"
            x1={cursor}
            x2={cursor}
            y1={0}
            y2={H}
            vector-effect="non-scaling-stroke"
          />
        )}
      </svg>
      <div class="sp-chart-axis sp-muted">
        <span>{clock(from)}</span>
        <span>{clock(to)}</span>
      </div>
      <div class="sp-chart-readout" data-testid={`readout-${metric}`}>
        {time === undefined ? (
          <span class="sp-muted">no reads in this range</span>
        ) : (
          <>
            <span class="sp-muted">{hover === null ? "latest" : clock(time)}</span>
            {data.lines.map((line, i) => (
              <span key={line.entity} class="sp-chart-value" title={line.entity}>
                <span class={`sp-swatch sp-series-${i % 6}`} aria-hidden="true" />
                {formatValue(line.values[at] ?? null, unit)}
              </span>
            ))}
          </>
        )}
      </div>
    </figure>
  );
}
