import { render } from "preact";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configFixture, entityFixture, snapshotFixture } from "../../test/fake-model";
import type { Snapshot } from "../model";
import { Overview } from "./tab";

const NOW = 1_700_000_600_000;
let el: HTMLElement;

const show = (snapshot: Snapshot): void => render(<Overview snapshot={snapshot} now={NOW} />, el);
const q = (testId: string): HTMLElement | null => el.querySelector(`[data-testid=${testId}]`);
const cells = (row: Element | null | undefined): string[] =>
  [...(row?.children ?? [])].map((c) => c.textContent ?? "");

const current = configFixture({
  version: 3,
  entities: [
    entityFixture({ name: "ads1-1", version: "1", traffic: 80 }),
    entityFixture({
      name: "ads1-2",
      version: "2",
      workload_size: "Medium",
      workload_type: null,
      scale_to_zero: true,
      state: "DEPLOYMENT_CREATING",
      message: "building image…",
      traffic: 20,
    }),
  ],
});

beforeEach(() => {
  el = document.createElement("div");
  document.body.append(el);
});

afterEach(() => {
  render(null, el);
  el.remove();
});

describe("Overview", () => {
  it("lists the served entities of the current config", () => {
    show(snapshotFixture({ config: current }));
    const table = q("entities");
    expect(cells(table?.querySelector("thead tr"))).toEqual([
      "Name",
      "Entity",
      "Version",
      "Workload",
      "Scale to zero",
      "Traffic",
      "State",
      "Message",
    ]);
    const rows = table?.querySelectorAll("tbody tr");
    expect(cells(rows?.[0])).toEqual([
      "ads1-1",
      "ads1",
      "1",
      "Small · CPU",
      "no",
      "80%",
      "DEPLOYMENT_READY",
      "",
    ]);
    expect(cells(rows?.[1])).toEqual([
      "ads1-2",
      "ads1",
      "2",
      "Medium",
      "yes",
      "20%",
      "DEPLOYMENT_CREATING",
      "building image…",
    ]);
    expect(rows?.[0]?.querySelector(".sp-dot")?.classList.contains("sp-tone-ready")).toBe(true);
    expect(rows?.[1]?.querySelector(".sp-dot")?.classList.contains("sp-tone-updating")).toBe(true);
  });

  it("marks external models", () => {
    show(
      snapshotFixture({
        config: configFixture({
          entities: [entityFixture({ entity: "openai/gpt-4o", version: null, external: true })],
        }),
      }),
    );
    const row = q("entities")?.querySelector("tbody tr");
    expect(cells(row).slice(1, 3)).toEqual(["openai/gpt-4oexternal", "—"]);
  });

  it("draws the traffic split as a proportional bar, plus the numbers", () => {
    show(snapshotFixture({ config: current }));
    const bar = q("traffic-bar");
    expect(bar?.getAttribute("role")).toBe("img");
    expect(bar?.getAttribute("aria-label")).toBe("Traffic split: ads1-1 80%, ads1-2 20%");
    const segments = [...(bar?.querySelectorAll<HTMLElement>(".sp-seg") ?? [])];
    expect(segments.map((s) => s.style.width)).toEqual(["80%", "20%"]);
    // The 20% segment is too narrow for its name: its share only, the name in its tooltip.
    expect(segments.map((s) => s.textContent)).toEqual(["ads1-1 80%", "20%"]);
    expect(segments.map((s) => s.title)).toEqual(["ads1-1 80%", "ads1-2 20%"]);
    expect([...el.querySelectorAll(".sp-routes li")].map((li) => li.textContent)).toEqual([
      "ads1-1 80%",
      "ads1-2 20%",
    ]);
  });

  it("sizes segments by share when the routes do not sum to 100, and skips 0% ones", () => {
    show(
      snapshotFixture({
        config: configFixture({
          entities: current.entities,
          routes: [
            { entity: "a", percentage: 50 },
            { entity: "b", percentage: 0 },
            { entity: "c", percentage: 25 },
          ],
        }),
      }),
    );
    const widths = [...el.querySelectorAll<HTMLElement>("[data-testid=traffic-bar] .sp-seg")].map(
      (s) => Number.parseFloat(s.style.width).toFixed(2),
    );
    expect(widths).toEqual(["66.67", "33.33"]);
    expect(el.querySelectorAll(".sp-routes li")).toHaveLength(3);
  });

  it("says when no traffic is routed", () => {
    show(snapshotFixture({ config: configFixture({ routes: [] }) }));
    expect(q("traffic-bar")).toBeNull();
    expect(el.textContent).toContain("No traffic is routed.");
  });

  it("says when the endpoint has no config yet", () => {
    show(snapshotFixture({ config: null }));
    expect(q("overview")?.textContent).toBe("This endpoint has no config yet.");
  });

  it("says when the endpoint was never read", () => {
    show(snapshotFixture({ config: null, fetched_at: null, state: null }));
    expect(q("overview")?.textContent).toBe("The endpoint has not been read yet.");
  });

  it("shows no pending section without a pending config", () => {
    show(snapshotFixture({ config: current }));
    expect(q("pending")).toBeNull();
  });

  it("shows the pending config with what changes highlighted", () => {
    const pending = configFixture({
      version: 4,
      start_time: NOW - 2 * 60_000,
      entities: [
        entityFixture({ name: "ads1-1", version: "1", traffic: 50 }),
        entityFixture({ name: "ads1-3", entity: "ads3", version: "1", traffic: 50 }),
      ],
    });
    show(snapshotFixture({ config: current, pending, config_update: "IN_PROGRESS" }));
    const section = q("pending");
    expect(section?.querySelector("h4")?.textContent).toBe(
      "Pending v4 vs current v3 · started 2 min ago",
    );
    expect(
      [...(section?.querySelectorAll(".sp-changes li") ?? [])].map((li) => li.textContent),
    ).toEqual([
      "ads1-1: traffic 80% → 50%",
      "ads1-3 added",
      "ads1-2 removed",
      "traffic ads1-1 80%, ads1-2 20% → ads1-1 50%, ads1-3 50%",
    ]);
    const rows = [...(q("pending-entities")?.querySelectorAll("tbody tr") ?? [])];
    expect(rows.map((r) => [r.getAttribute("data-entity"), r.className])).toEqual([
      ["ads1-1", ""],
      ["ads1-3", "sp-added"],
      ["ads1-2", "sp-removed"],
    ]);
    const changed = [...(rows[0]?.querySelectorAll(".sp-changed") ?? [])];
    expect(changed.map((c) => c.textContent)).toEqual(["50% (was 80%)"]);
    expect(rows[1]?.querySelector("th")?.textContent).toBe("ads1-3added");
    expect(q("pending-traffic-bar")?.getAttribute("aria-label")).toBe(
      "Traffic split: ads1-1 50%, ads1-3 50%",
    );
    // The current config is still shown above it.
    expect(q("entities")?.querySelectorAll("tbody tr")).toHaveLength(2);
  });

  it("highlights version, workload and scale-to-zero changes cell by cell", () => {
    const pending = configFixture({
      version: 4,
      entities: [
        entityFixture({ name: "ads1-1", version: "2", traffic: 80 }),
        entityFixture({ ...current.entities[1], workload_size: "Large", scale_to_zero: false }),
      ],
    });
    show(snapshotFixture({ config: current, pending }));
    const rows = [...(q("pending-entities")?.querySelectorAll("tbody tr") ?? [])];
    expect([...(rows[0]?.querySelectorAll(".sp-changed") ?? [])].map((c) => c.textContent)).toEqual(
      ["2 (was 1)"],
    );
    expect([...(rows[1]?.querySelectorAll(".sp-changed") ?? [])].map((c) => c.textContent)).toEqual(
      ["Large (was Medium)", "no (was yes)"],
    );
  });

  it("shows a first config being created as all added", () => {
    show(snapshotFixture({ config: null, pending: current, config_update: "IN_PROGRESS" }));
    expect(q("no-config")?.textContent).toBe(
      "Its first config, v3, is being deployed: nothing serves yet.",
    );
    expect(q("pending")?.querySelector("h4")?.textContent).toBe("Pending v3 · started 10 min ago");
    const rows = [...(q("pending-entities")?.querySelectorAll("tbody tr") ?? [])];
    expect(rows.map((r) => r.className)).toEqual(["sp-added", "sp-added"]);
  });

  it("renders entity names, messages and routes as text", () => {
    const payload = '<img src=x onerror="window.__pwned=1">';
    const config = configFixture({
      entities: [
        entityFixture({ name: payload, entity: payload, message: payload, state: payload }),
      ],
    });
    show(snapshotFixture({ config, pending: { ...config, version: 2 } }));
    expect(el.querySelector("img")).toBeNull();
    expect(q("entities")?.querySelector("tbody th")?.textContent).toBe(payload);
    expect(q("entities")?.querySelector(".sp-message")?.textContent).toBe(payload);
    expect(q("traffic-bar")?.textContent).toBe(`${payload} 100%`);
    expect((window as { __pwned?: number }).__pwned).toBeUndefined();
  });
});

describe("Overview of a failed update", () => {
  const failedPending = configFixture({
    version: 4,
    entities: [
      entityFixture({ name: "ads1-1", version: "1", traffic: 80 }),
      entityFixture({
        name: "ads1-2",
        version: "9",
        state: "DEPLOYMENT_FAILED",
        message: "requirements not satisfied: torch==9.9",
        traffic: 20,
      }),
    ],
  });

  it("says the update failed, what keeps serving, and links each failed entity's build log", () => {
    const asked: unknown[] = [];
    render(
      <Overview
        snapshot={snapshotFixture({
          config: current,
          pending: failedPending,
          config_update: "UPDATE_FAILED",
          state: "Ready (update failed)",
        })}
        now={NOW}
        onShowLog={(request) => asked.push(request)}
      />,
      el,
    );
    expect(q("pending")?.querySelector("h4")?.textContent).toBe(
      "Update to v4 failed vs current v3 · started 10 min ago",
    );
    const failed = q("failed-update");
    expect(failed?.textContent).toContain("Config v3 keeps serving. This entity failed:");
    expect(failed?.textContent).toContain("ads1-2: requirements not satisfied: torch==9.9");
    (q("show-build-log") as HTMLButtonElement).click();
    expect(asked).toEqual([{ entity: "ads1-2", version: 4, kind: "build" }]);
  });

  it("says nothing serves when the first config failed", () => {
    show(
      snapshotFixture({
        config: null,
        pending: failedPending,
        config_update: "UPDATE_FAILED",
        state: "Not ready (update failed)",
        ready: "NOT_READY",
      }),
    );
    expect(q("no-config")?.textContent).toBe(
      "Its first config, v4, failed to deploy: nothing serves yet.",
    );
    expect(q("failed-update")?.textContent).toContain("Nothing serves until a config deploys.");
    expect(q("show-build-log")).toBeNull(); // no way to open the logs was given
  });

  it("marks a right-to-left override in an entity's message", () => {
    show(
      snapshotFixture({
        config: configFixture({
          entities: [entityFixture({ message: "see evil\u202Etxt.exe" })],
        }),
      }),
    );
    expect(q("entities")?.textContent).toContain("see evil⟦U+202E⟧txt.exe");
  });
});

describe("Overview triage cards", () => {
  const diagnosis = {
    entity: "broken-1",
    config_version: 2,
    cause: "missing-module",
    title: "A module the model imports is missing",
    advice: "Add the package to the model's requirements.",
    log: "build" as const,
    line: 11,
    lines: [
      {
        log: "build" as const,
        line: 11,
        text: "ModuleNotFoundError: No module named 'torchx'<img src=x onerror=alert(1)>",
      },
      { log: "state" as const, line: null, text: "model failed to load" },
    ],
  };

  it("names the cause, quotes the lines as text and opens the log at the first", () => {
    const asked: unknown[] = [];
    render(
      <Overview
        snapshot={snapshotFixture({ triage: [diagnosis] })}
        now={NOW}
        onShowLog={(request) => asked.push(request)}
      />,
      el,
    );
    const card = q("triage");
    expect(card?.getAttribute("data-cause")).toBe("missing-module");
    expect(card?.querySelector("h4")?.textContent).toBe(
      "Likely cause: A module the model imports is missing",
    );
    expect(card?.textContent).toContain("broken-1 · config v2");
    const quotes = [...(q("triage-lines")?.querySelectorAll("li") ?? [])].map(
      (li) => li.textContent,
    );
    expect(quotes).toEqual([
      "build log, line 11ModuleNotFoundError: No module named 'torchx'<img src=x onerror=alert(1)>",
      "state messagemodel failed to load",
    ]);
    expect(card?.querySelector("img")).toBeNull();
    const open = q("triage-open-log") as HTMLButtonElement;
    expect(open.textContent).toBe("Open the build log at line 11");
    open.click();
    expect(asked).toEqual([{ entity: "broken-1", version: 2, kind: "build", line: 11 }]);
  });

  it("shows no link when only the state message names the cause", () => {
    render(
      <Overview
        snapshot={snapshotFixture({ triage: [{ ...diagnosis, log: null, line: null }] })}
        now={NOW}
        onShowLog={() => undefined}
      />,
      el,
    );
    expect(q("triage")).not.toBeNull();
    expect(q("triage-open-log")).toBeNull();
  });
});
