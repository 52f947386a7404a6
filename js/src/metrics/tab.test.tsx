import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { wireSample } from "../../test/metrics-fixtures";
import { TabHarness, type TabProps } from "../../test/tab-harness";
import { MetricsTab } from "./tab";

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const KIND = "metrics.sample";

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
  document.body.replaceChildren();
});

/** The tab as the panel renders it: `gone` once the snapshot says the panel deleted it. */
function PanelMetricsTab(props: TabProps) {
  return <MetricsTab {...props} gone={props.snapshot.deleted === true} />;
}

class Harness extends TabHarness {
  constructor(active = true) {
    super(PanelMetricsTab, {}, active);
  }

  text(testId: string): string {
    return this.el.querySelector(`[data-testid="${testId}"]`)?.textContent ?? "";
  }

  chart(metric: string): HTMLElement {
    const chart = this.el.querySelector<HTMLElement>(`[data-testid="chart-${metric}"]`);
    if (chart === null) throw new Error(`no chart of ${metric}`);
    return chart;
  }

  /** Moves the fake clock by `ms`, running the timers that come due. */
  async wait(ms: number): Promise<void> {
    await act(async () => {
      vi.advanceTimersByTime(ms);
    });
  }
}

const sampleOf = (minutes: number, from = 0) =>
  Array.from({ length: minutes }, (_, i) => T0 + (from + i) * 60_000);

describe("MetricsTab", () => {
  it("asks nothing until it is first shown", async () => {
    const harness = new Harness(false);
    await harness.wait(60_000);
    expect(harness.requests(KIND)).toEqual([]);
    harness.setActive(true);
    expect(harness.open(KIND).payload).toEqual({ after: null });
  });

  it("explains what is sampled and how often while the first read is on its way", () => {
    const harness = new Harness();
    const empty = harness.text("metrics-empty");
    expect(empty).toContain("Reading the metrics");
    expect(empty).toContain("every 10 s");
    expect(empty).toContain("panel.metrics_history_df()");
    expect(empty).toContain("last minute");
  });

  it("says so when no served entity reports metrics", async () => {
    const harness = new Harness();
    await harness.reply(KIND, wireSample({}, [T0], { interval_s: 30 }));
    expect(harness.text("metrics-empty")).toContain("No served entity reports metrics");
    expect(harness.text("metrics-empty")).toContain("every 30 s");
  });

  it("draws a chart per metric with a line per entity, names as text", async () => {
    const harness = new Harness();
    const name = "<img src=x onerror=alert(1)>";
    await harness.reply(
      KIND,
      wireSample({ "ads1-1": [0, 0.1, 0.2], [name]: [1, null, 3] }, sampleOf(3)),
    );
    expect(harness.el.querySelectorAll("figure.sp-chart")).toHaveLength(10);
    const chart = harness.chart("request_rate");
    expect(chart.dataset.points).toBe("5");
    expect(chart.querySelectorAll("path.sp-chart-line")).toHaveLength(2);
    expect(harness.el.querySelector("img")).toBeNull();
    expect(harness.el.querySelector(".sp-metrics-legend")?.textContent).toContain(name);
    expect(harness.text("readout-request_rate")).toContain("0.2 req/s");
    expect(harness.text("metrics-status")).toContain("3 samples every 10 s since");
  });

  it("asks again one interval after each answer, for the reads it lacks", async () => {
    const harness = new Harness();
    await harness.reply(KIND, wireSample({ a: [0] }, sampleOf(1), { interval_s: 5 }));
    expect(harness.openCount(KIND)).toBe(0);
    await harness.wait(4_999);
    expect(harness.openCount(KIND)).toBe(0);
    await harness.wait(1);
    expect(harness.open(KIND).payload).toEqual({ after: 1 });
    // Unanswered (a busy kernel), it is not asked again (within the rpc's 60 s timeout).
    await harness.wait(30_000);
    expect(harness.openCount(KIND)).toBe(1);
    await harness.reply(
      KIND,
      wireSample({ a: [0.5] }, sampleOf(1, 1), { reset: false, last: 2, interval_s: 5 }),
    );
    expect(harness.chart("request_rate").dataset.points).toBe("2");
    expect(harness.text("readout-request_rate")).toContain("0.5 req/s");
  });

  it("keeps sampling on another tab and stops for good when the view closes", async () => {
    const harness = new Harness();
    await harness.reply(KIND, wireSample({ a: [0] }, sampleOf(1)));
    harness.setActive(false);
    await harness.wait(10_000);
    await harness.reply(KIND, wireSample({ a: [1] }, sampleOf(1, 1), { reset: false, last: 2 }));
    harness.close();
    await harness.wait(600_000);
    expect(harness.requests(KIND)).toHaveLength(2);
    expect(harness.model.listenerCount()).toBe(0);
  });

  it("stops asking once the panel deleted the endpoint, and resumes if it comes back", async () => {
    const harness = new Harness();
    await harness.reply(KIND, wireSample({ a: [0, 1] }, sampleOf(2)));
    await harness.wait(10_000);
    expect(harness.openCount(KIND)).toBe(1); // the next read is on its way
    harness.setSnapshot({ ...harness.snapshot, deleted: true });
    await harness.wait(600_000);
    expect(harness.requests(KIND)).toHaveLength(2);
    expect(harness.text("metrics-gone")).toContain("sampling stopped");
    expect(harness.chart("request_rate").dataset.points).toBe("2");
    // The answer that was on its way when it went is dropped, and asks nothing more.
    await harness.reply(KIND, wireSample({ a: [2] }, sampleOf(1, 2), { reset: false, last: 3 }));
    await harness.wait(600_000);
    expect(harness.requests(KIND)).toHaveLength(2);

    harness.setSnapshot({ ...harness.snapshot, deleted: false });
    expect(harness.openCount(KIND)).toBe(1);
    expect(harness.el.querySelector('[data-testid="metrics-gone"]')).toBeNull();
    harness.close();
  });

  it("shows a failed read, keeps the charts, and clears it when a read works", async () => {
    const harness = new Harness();
    await harness.reply(KIND, wireSample({ a: [0, 1] }, sampleOf(2)));
    await harness.wait(10_000);
    await harness.reply(
      KIND,
      wireSample({}, [], {
        reset: false,
        last: 2,
        error: {
          message: "Endpoint 'x' does not exist.",
          error_code: "RESOURCE_DOES_NOT_EXIST",
          status: 404,
        },
      }),
    );
    expect(harness.text("metrics-error")).toContain("does not exist");
    expect(harness.text("metrics-error")).toContain("keep what was read before");
    expect(harness.chart("request_rate").dataset.points).toBe("2");
    await harness.wait(10_000);
    await harness.reply(KIND, wireSample({ a: [2] }, sampleOf(1, 2), { reset: false, last: 3 }));
    expect(harness.el.querySelector('[data-testid="metrics-error"]')).toBeNull();
  });

  it("shows a request that failed and tries again at the next interval", async () => {
    const harness = new Harness();
    await harness.fail(KIND, { message: "no handler", error_code: "BAD_REQUEST", status: 400 });
    expect(harness.text("metrics-error")).toContain("no handler");
    expect(harness.text("metrics-empty")).toContain("Reading the metrics");
    await harness.wait(10_000);
    expect(harness.open(KIND).payload).toEqual({ after: null });
  });

  it("narrows the charts to a time range", async () => {
    const harness = new Harness();
    await harness.reply(KIND, wireSample({ a: sampleOf(30).map(() => 1) }, sampleOf(30)));
    expect(harness.chart("cpu_percent").dataset.points).toBe("30");
    const five = [...harness.el.querySelectorAll("button")].find((b) => b.textContent === "5 min");
    act(() => five?.click());
    expect(five?.getAttribute("aria-pressed")).toBe("true");
    expect(harness.chart("cpu_percent").dataset.points).toBe("6"); // minutes 24..29
  });

  it("shows the values at the read nearest the pointer", async () => {
    const harness = new Harness();
    await harness.reply(KIND, wireSample({ a: [0.1, 0.2, 0.3] }, sampleOf(3)));
    const svg = harness.chart("request_rate").querySelector("svg");
    if (svg === null) throw new Error("no svg");
    svg.getBoundingClientRect = () => ({ left: 0, width: 200, top: 0, height: 64 }) as DOMRect;
    act(() => {
      svg.dispatchEvent(new PointerEvent("pointermove", { clientX: 5, bubbles: true }));
    });
    expect(harness.text("readout-request_rate")).toContain("0.1 req/s");
    expect(svg.querySelector(".sp-chart-cursor")).not.toBeNull();
    act(() => {
      svg.dispatchEvent(new PointerEvent("pointerleave", { bubbles: false }));
    });
    expect(harness.text("readout-request_rate")).toContain("latest");
    expect(harness.text("readout-request_rate")).toContain("0.3 req/s");
  });
});
