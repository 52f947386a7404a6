import { describe, expect, it } from "vitest";
import { wireSample } from "../../test/metrics-fixtures";
import { linePath } from "./chart";
import {
  chartData,
  formatValue,
  History,
  METRICS,
  type MetricKey,
  nearestIndex,
  normalizeSample,
} from "./data";

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

const rate = (history: History, entity: string): Array<number | null> | undefined =>
  history.entities.get(entity)?.get("request_rate" as MetricKey);

describe("normalizeSample", () => {
  it("reads Python's answer", () => {
    const reply = normalizeSample(wireSample({ "ads1-1": [0, 0.1] }, [T0, T0 + 10_000]));
    expect(reply.times).toEqual([T0, T0 + 10_000]);
    expect(reply.entities.get("ads1-1")?.get("request_rate")).toEqual([0, 0.1]);
    expect(reply.entities.get("ads1-1")?.size).toBe(METRICS.length);
    expect([reply.intervalS, reply.last, reply.reset, reply.error]).toEqual([10, 2, true, null]);
  });

  it("survives anything: missing fields, wrong types, short columns", () => {
    const reply = normalizeSample({
      times: [T0, "x"],
      entities: { a: { request_rate: [1] }, b: 3 },
      interval_s: "soon",
      error: { message: "no", error_code: "PERMISSION_DENIED", status: 403 },
    });
    expect(reply.times).toEqual([T0, 0]);
    expect(reply.entities.get("a")?.get("request_rate")).toEqual([1, null]);
    expect(reply.entities.get("b")?.get("cpu_percent")).toEqual([null, null]);
    expect(reply.intervalS).toBe(10);
    expect(reply.error?.errorCode).toBe("PERMISSION_DENIED");
    expect(normalizeSample(null).times).toEqual([]);
  });
});

describe("History", () => {
  it("appends reads, padding entities that appear or go away", () => {
    const history = new History();
    history.merge(normalizeSample(wireSample({ a: [1] }, [T0])));
    history.merge(
      normalizeSample(wireSample({ b: [5, 6] }, [T0 + 10_000, T0 + 20_000], { reset: false })),
    );
    expect(history.times).toEqual([T0, T0 + 10_000, T0 + 20_000]);
    expect(rate(history, "a")).toEqual([1, null, null]);
    expect(rate(history, "b")).toEqual([null, 5, 6]);
    expect(history.last).toBe(2);
  });

  it("starts again on a reset", () => {
    const history = new History();
    history.merge(normalizeSample(wireSample({ a: [1, 2] }, [T0, T0 + 1])));
    history.merge(normalizeSample(wireSample({ c: [3] }, [T0 + 5])));
    expect(history.times).toEqual([T0 + 5]);
    expect([...history.entities.keys()]).toEqual(["c"]);
  });

  it("keeps only the history window before the newest read", () => {
    const history = new History();
    history.merge(normalizeSample(wireSample({ a: [1, 2, 3] }, [T0, T0 + 30_000, T0 + 90_000])));
    history.merge(
      normalizeSample(
        wireSample({ a: [4] }, [T0 + 120_000], { reset: false, history_s: 60, last: 4 }),
      ),
    );
    expect(history.times).toEqual([T0 + 90_000, T0 + 120_000]);
    expect(rate(history, "a")).toEqual([3, 4]);
  });
});

describe("chart data", () => {
  const history = new History();
  history.merge(
    normalizeSample(wireSample({ a: [1, 2, 3], b: [0, null, 4] }, [T0, T0 + 10, T0 + 20])),
  );

  it("cuts the range and keeps a line per entity", () => {
    expect(chartData(history, "request_rate", null).lines.map((l) => l.values)).toEqual([
      [1, 2, 3],
      [0, null, 4],
    ]);
    const recent = chartData(history, "request_rate", T0 + 10);
    expect(recent.times).toEqual([T0 + 10, T0 + 20]);
    expect(recent.lines.map((l) => [l.entity, l.values])).toEqual([
      ["a", [2, 3]],
      ["b", [null, 4]],
    ]);
  });

  it("finds the nearest read to a time", () => {
    expect(nearestIndex([T0, T0 + 10, T0 + 20], T0 + 4)).toBe(0);
    expect(nearestIndex([T0, T0 + 10, T0 + 20], T0 + 6)).toBe(1);
    expect(nearestIndex([T0, T0 + 10, T0 + 20], T0 + 99)).toBe(2);
    expect(nearestIndex([], T0)).toBe(-1);
  });

  it("draws gaps where a value is missing and lone points as dots", () => {
    const path = linePath([0, 1, 2, 3], [1, null, 2, 2], 0, 3, 2);
    expect(path.match(/M/g)).toHaveLength(2); // two runs
    expect(path.startsWith("M0.0 ")).toBe(true);
    expect(path).toContain("h0"); // the first run is one point
    expect(linePath([0, 1], [null, null], 0, 1, 1)).toBe("");
  });

  it("formats values with their unit", () => {
    expect(formatValue(0.1, "req/s")).toBe("0.1 req/s");
    expect(formatValue(12.34, "ms")).toBe("12.3 ms");
    expect(formatValue(37.04, "%")).toBe("37%");
    expect(formatValue(4, "req")).toBe("4 req");
    expect(formatValue(null, "ms")).toBe("–");
  });
});
