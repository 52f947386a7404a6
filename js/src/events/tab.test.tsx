import { act } from "preact/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { snapshotFixture } from "../../test/fake-model";
import { flush, TabHarness, type TabProps } from "../../test/tab-harness";
import type { LogRequest } from "../model";
import { merge, normalizeEvents } from "./list";
import { EventsTab } from "./tab";

const T = 1_700_000_000_000;
const shownLogs: Omit<LogRequest, "at">[] = [];
const shownTabs: string[] = [];

function Tab(props: TabProps) {
  return (
    <EventsTab
      rpc={props.rpc}
      snapshot={props.snapshot}
      active={props.active}
      onShowLog={(request) => shownLogs.push(request)}
      onShowTab={(tab) => shownTabs.push(tab)}
    />
  );
}

const wire = (seq: number, time: number, kind: string, summary: string, extra = {}) => ({
  seq,
  time,
  kind,
  entity: null,
  config_version: null,
  summary,
  link: null,
  ...extra,
});

const FIRST = [
  wire(1, T, "state", "Panel opened: Ready; config v1 current", { link: { tab: "overview" } }),
  wire(2, T + 2000, "config", "Config v2 pending: broken-1", {
    config_version: 2,
    link: { tab: "overview" },
  }),
  // A build line read late carries its own, earlier time.
  wire(3, T + 1000, "build", "build started for served entity broken-1", {
    entity: "broken-1",
    config_version: 2,
    link: { tab: "logs", entity: "broken-1", version: 2, kind: "build", line: 1 },
  }),
];

let harness: TabHarness | null = null;

afterEach(() => {
  harness?.close();
  harness?.el.remove();
  harness = null;
  shownLogs.length = 0;
  shownTabs.length = 0;
});

const summaries = (h: TabHarness): string[] =>
  [...h.el.querySelectorAll("[data-testid=event-summary]")].map((e) => e.textContent ?? "");

async function opened(): Promise<TabHarness> {
  const h = new TabHarness(Tab, { revision: 1 });
  harness = h;
  expect(h.requests("events.list").map((r) => r.payload)).toEqual([{ since: 0 }]);
  await h.reply("events.list", { events: FIRST, last: 3, reset: false });
  return h;
}

describe("EventsTab", () => {
  it("says the events come from polling, and lists them newest first by time", async () => {
    const h = await opened();
    expect(h.el.querySelector("[data-testid=events-note]")?.textContent).toContain(
      "only the time this panel has been open",
    );
    expect(summaries(h)).toEqual([
      "Config v2 pending: broken-1",
      "build started for served entity broken-1",
      "Panel opened: Ready; config v1 current",
    ]);
  });

  it("asks again from its cursor on each new snapshot, and not while inactive", async () => {
    const h = await opened();
    h.setSnapshot(snapshotFixture({ revision: 2 }));
    expect(h.open("events.list").payload).toEqual({ since: 3 });
    await h.reply("events.list", {
      events: [wire(4, T + 5000, "state", "Update failed", { config_version: 2 })],
      last: 4,
      reset: false,
    });
    expect(summaries(h)[0]).toBe("Update failed");
    expect(summaries(h)).toHaveLength(4);
    h.setActive(false);
    h.setSnapshot(snapshotFixture({ revision: 3 }));
    expect(h.openCount("events.list")).toBe(0);
    h.setActive(true);
    expect(h.open("events.list").payload).toEqual({ since: 4 });
    await h.reply("events.list", { events: [wire(9, T, "state", "alone")], last: 9, reset: true });
    expect(summaries(h)).toEqual(["alone"]); // a reset replaces what was held
  });

  it("filters by kind", async () => {
    const h = await opened();
    const select = h.el.querySelector("[data-testid=events-kind]") as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toContain("build (1)");
    const choose = async (kind: string): Promise<void> =>
      act(async () => {
        select.value = kind;
        select.dispatchEvent(new Event("change"));
        await flush();
      });
    await choose("build");
    expect(summaries(h)).toEqual(["build started for served entity broken-1"]);
    await choose("permissions");
    expect(summaries(h)).toEqual([]);
    expect(h.el.querySelector("[data-testid=events-empty]")?.textContent).toBe("No events yet.");
  });

  it("links to the log line or the tab an event concerns", async () => {
    const h = await opened();
    const links = [...h.el.querySelectorAll<HTMLButtonElement>("[data-testid=event-link]")];
    expect(links.map((l) => l.textContent)).toEqual(["Overview", "build log, line 1", "Overview"]);
    links[1]?.click();
    expect(shownLogs).toEqual([{ entity: "broken-1", version: 2, kind: "build", line: 1 }]);
    links[0]?.click();
    expect(shownTabs).toEqual(["overview"]);
  });

  it("shows server text as text, invisible characters marked", async () => {
    const h = new TabHarness(Tab);
    harness = h;
    await h.reply("events.list", {
      events: [
        wire(1, T, "entity", "<img src=x onerror=alert(1)> failed", {
          entity: "evil\u202Eexe.txt",
        }),
      ],
      last: 1,
      reset: false,
    });
    expect(h.el.querySelector("img")).toBeNull();
    expect(summaries(h)).toEqual(["<img src=x onerror=alert(1)> failed"]);
    expect(h.el.querySelector("[data-testid=invisible-char]")?.textContent).toBe("⟦U+202E⟧");
  });

  it("says when the list could not be read", async () => {
    const h = new TabHarness(Tab);
    harness = h;
    await h.fail("events.list", { message: "boom", error_code: "INTERNAL_ERROR", status: 500 });
    expect(h.el.querySelector("[data-testid=events-error]")?.textContent).toContain("boom");
  });
});

describe("events list", () => {
  it("drops malformed events and keeps at most one of each seq", () => {
    const page = normalizeEvents({
      events: [FIRST[0], { seq: "x" }, wire(5, T, "weird", "no"), null],
      last: 5,
    });
    expect(page.events.map((e) => e.seq)).toEqual([1]);
    expect(page.reset).toBe(false);
    const held = merge([], page);
    expect(merge(held, page)).toHaveLength(1);
    expect(normalizeEvents(null)).toEqual({ events: [], last: 0, reset: false });
  });
});
