import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { configFixture, entityFixture } from "../../test/fake-model";
import { flush, type SentRequest, TabHarness } from "../../test/tab-harness";
import type { Snapshot } from "../model";
import { FOLLOW_MS, PAGE_LINES } from "./loader";
import { LogsTab } from "./tab";
import type { WireLine } from "./types";

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  document.body.replaceChildren();
});

const T0 = Date.UTC(2026, 10, 24, 20, 13, 0, 0);
const LEVELS = ["INFO", "INFO", "DEBUG", "WARNING", "ERROR"] as const;

/** Lines `from + 1 … from + count`; levels cycle through LEVELS. */
function lines(count: number, from = 0, text = (n: number) => `request ${n} served`): WireLine[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i + 1;
    return [n, T0 + n, LEVELS[(n - 1) % LEVELS.length] ?? null, text(n), false] as WireLine;
  });
}

type Request = SentRequest;

/**
 * The budget of a CPU-bound test (tens of thousands of lines through the loader, the buffer
 * and the list): about 0.3 s on an idle machine, 2.5 s seen with two suites and two CPU hogs
 * sharing two cores; vitest's 5 s default is too close to that.
 */
const HEAVY = { timeout: 30_000 };

class Harness extends TabHarness {
  constructor(snapshot: Partial<Snapshot> = {}, active = true) {
    super(LogsTab, snapshot, active);
  }

  /** Answers the open `logs.page` request with `all` cut at its offset. */
  async page(all: WireLine[], revision = 1, size = PAGE_LINES): Promise<Request> {
    const offset = this.open("logs.page").payload.offset as number;
    return this.reply("logs.page", {
      lines: all.slice(offset, offset + size),
      total: all.length,
      offset,
      source_revision: revision,
    });
  }

  async loadAll(all: WireLine[], size = PAGE_LINES): Promise<void> {
    for (;;) {
      await this.page(all, 1, size);
      if (this.openCount("logs.page") === 0) return;
    }
  }

  get scroller(): HTMLElement {
    const element = this.el.querySelector<HTMLElement>(".sp-log-scroller");
    if (element === null) throw new Error("no log list");
    return element;
  }

  rows(): HTMLLIElement[] {
    return [...this.el.querySelectorAll<HTMLLIElement>("ol.sp-log-window > li")];
  }

  lineNumbers(): number[] {
    return this.rows().map((row) => Number(row.dataset.line));
  }

  text(selector: string): string {
    return this.el.querySelector(selector)?.textContent ?? "";
  }

  button(label: string): HTMLButtonElement {
    const found = [...this.el.querySelectorAll<HTMLButtonElement>("button")].find(
      (b) => b.textContent === label || b.getAttribute("aria-label") === label,
    );
    if (found === undefined) throw new Error(`no button ${label}`);
    return found;
  }

  click(element: HTMLElement): void {
    act(() => element.click());
  }

  select(label: string, value: string): void {
    const select = this.el.querySelector<HTMLSelectElement>(`select[aria-label="${label}"]`);
    if (select === null) throw new Error(`no select ${label}`);
    act(() => {
      select.value = value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  search(query: string): HTMLInputElement {
    const input = this.el.querySelector<HTMLInputElement>("input[type=search]");
    if (input === null) throw new Error("no search box");
    act(() => {
      input.value = query;
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
    return input;
  }

  key(target: HTMLElement, key: string, shiftKey = false): void {
    act(() => {
      target.dispatchEvent(new KeyboardEvent("keydown", { key, shiftKey, bubbles: true }));
    });
  }

  scrollTo(top: number): void {
    act(() => {
      this.scroller.scrollTop = top;
      this.scroller.dispatchEvent(new Event("scroll"));
    });
  }
}

describe("LogsTab paging", () => {
  it("asks for pages in order until it has the total, showing progress", HEAVY, async () => {
    const h = new Harness();
    const all = lines(50_000);
    expect(h.requests("logs.page").map((r) => r.payload)).toEqual([
      {
        entity: "ads1-1",
        kind: "server",
        config_version: 1,
        offset: 0,
        limit: PAGE_LINES,
        refetch: false,
      },
    ]);
    expect(h.text("[data-testid=log-status]")).toBe("loading…");
    await h.page(all);
    expect(h.text("[data-testid=log-status]")).toBe("loading 20,000 / 50,000");
    await h.page(all);
    expect(h.text("[data-testid=log-status]")).toBe("loading 40,000 / 50,000");
    await h.page(all);
    expect(h.requests("logs.page").map((r) => r.payload.offset)).toEqual([0, 20_000, 40_000]);
    expect(h.text("[data-testid=log-status]")).toBe("50,000 lines");
    h.unmount();
  });

  it("follows the pages Python cuts shorter than asked", async () => {
    const h = new Harness();
    const all = lines(25);
    await h.page(all, 1, 10);
    await h.page(all, 1, 10);
    await h.page(all, 1, 10);
    expect(h.requests("logs.page").map((r) => r.payload.offset)).toEqual([0, 10, 20]);
    expect(h.text("[data-testid=log-status]")).toBe("25 lines");
    h.unmount();
  });

  it("starts over when the log changed between two pages", async () => {
    const h = new Harness();
    const all = lines(30);
    await h.page(all, 1, 10);
    await h.reply("logs.page", {
      lines: all.slice(10, 20),
      total: 30,
      offset: 10,
      source_revision: 2,
    });
    expect(h.open("logs.page").payload.offset).toBe(0);
    await h.page(all, 2, 30);
    expect(h.lineNumbers()[0]).toBe(1);
    expect(h.text("[data-testid=log-status]")).toBe("30 lines");
    h.unmount();
  });

  it("loads nothing until the tab is shown", async () => {
    const h = new Harness({}, false);
    expect(h.requests("logs.page")).toHaveLength(0);
    h.setActive(true);
    expect(h.requests("logs.page")).toHaveLength(1);
    h.setActive(false);
    h.setActive(true);
    expect(h.requests("logs.page")).toHaveLength(1);
    h.unmount();
  });

  it("reads the log the toolbar picks: entity, kind and config version", async () => {
    const h = new Harness({
      config: configFixture({
        version: 3,
        entities: [entityFixture({ name: "ads1-1" }), entityFixture({ name: "ads1-2" })],
      }),
      pending: configFixture({ version: 4, entities: [entityFixture({ name: "ads1-2" })] }),
    });
    const options = [...h.el.querySelectorAll("select[aria-label='Served entity'] option")];
    expect(options.map((o) => o.textContent)).toEqual(["ads1-1 (v3)", "ads1-2 (v3, pending v4)"]);
    const versions = [...h.el.querySelectorAll("select[aria-label='Config version'] option")];
    expect(versions.map((o) => o.textContent)).toEqual(["v3 (current)", "v4 (pending)"]);
    await h.page(lines(3));
    h.select("Config version", "4");
    expect(h.open("logs.page").payload).toMatchObject({ entity: "ads1-2", config_version: 4 });
    h.click(h.el.querySelector<HTMLButtonElement>("[data-testid=log-kind-build]") as HTMLElement);
    expect(h.open("logs.page").payload).toMatchObject({
      entity: "ads1-2",
      kind: "build",
      config_version: 4,
      offset: 0,
    });
    h.select("Served entity", "ads1-1");
    expect(h.open("logs.page").payload).toMatchObject({ entity: "ads1-1", config_version: 3 });
    h.unmount();
  });

  it("keeps copy and download in one toolbar group, and marks invisible characters in names", () => {
    const name = "evil\u202Eexe.txt";
    const h = new Harness({ config: configFixture({ entities: [entityFixture({ name })] }) });
    const option = h.el.querySelector("select[aria-label='Served entity'] option");
    expect(option?.textContent).toBe("evil⟦U+202E⟧exe.txt (v1)");
    expect((option as HTMLOptionElement | null)?.value).toBe(name);
    expect(h.el.querySelector("ol[aria-label]")?.getAttribute("aria-label")).toBe(
      "server log of evil⟦U+202E⟧exe.txt (v1)",
    );
    const group = h.button("copy").parentElement;
    expect(group?.classList.contains("sp-log-group")).toBe(true);
    expect(group?.contains(h.button("download"))).toBe(true);
    h.unmount();
  });

  it("says so when the endpoint has no served entities", () => {
    const h = new Harness({ config: null, pending: null });
    expect(h.text(".sp-log-empty")).toContain("no served entities");
    expect(h.requests("logs.page")).toHaveLength(0);
    h.unmount();
  });
});

describe("LogsTab virtualized list", () => {
  it(
    "renders a bounded number of rows for 200,000 lines, and the right ones after scrolling",
    HEAVY,
    async () => {
      const h = new Harness();
      await h.loadAll(lines(200_000));
      expect(h.text("[data-testid=log-status]")).toBe("200,000 lines");
      const list = h.el.querySelector("ol[aria-label]");
      expect(list?.getAttribute("aria-label")).toBe("server log of ads1-1 (v1)");
      const rows = h.rows();
      expect(rows.length).toBeGreaterThan(10);
      expect(rows.length).toBeLessThan(200);
      expect(h.lineNumbers()[0]).toBe(1);
      expect(rows[0]?.getAttribute("aria-setsize")).toBe("200000");
      const sizer = h.el.querySelector<HTMLElement>(".sp-log-sizer");
      expect(sizer?.style.height).toBe(`${200_000 * 18}px`);

      h.scrollTo(150_000 * 18);
      const shown = h.lineNumbers();
      expect(shown.length).toBeLessThan(200);
      expect(shown).toContain(150_001);
      expect(shown).not.toContain(1);
      expect(Math.min(...shown)).toBeGreaterThan(149_900);
      const row = h.rows().find((r) => r.dataset.line === "150001");
      expect(row?.textContent).toContain("request 150001 served");
      h.unmount();
    },
  );

  it("colours lines by level and shows line numbers unless turned off", async () => {
    const h = new Harness();
    await h.loadAll(lines(5));
    const rows = h.rows();
    expect(rows[3]?.classList.contains("sp-log-warning")).toBe(true);
    expect(rows[4]?.classList.contains("sp-log-error")).toBe(true);
    expect(rows[2]?.classList.contains("sp-log-debug")).toBe(true);
    expect(rows[0]?.querySelector(".sp-log-no")?.textContent).toBe("1");
    expect(rows[0]?.querySelector(".sp-log-time")?.textContent).toBe("20:13:00.001");
    expect(rows[0]?.querySelector(".sp-log-level")?.textContent).toBe("INFO");
    h.click(h.el.querySelector("[data-testid=log-line-numbers]") as HTMLElement);
    expect(h.el.querySelector(".sp-log-no")).toBeNull();
    h.unmount();
  });

  it("toggles wrapping: long lines get the rows their text needs", async () => {
    const h = new Harness();
    await h.loadAll([[1, T0, "INFO", "x".repeat(2000), false], ...lines(3, 1)]);
    const wrap = h.el.querySelector<HTMLButtonElement>("[data-testid=log-wrap]") as HTMLElement;
    expect(wrap.getAttribute("aria-pressed")).toBe("false");
    expect(h.scroller.classList.contains("sp-log-wrap")).toBe(false);
    expect(h.rows()[0]?.style.minHeight).toBe("");
    h.click(wrap);
    expect(wrap.getAttribute("aria-pressed")).toBe("true");
    expect(h.scroller.classList.contains("sp-log-wrap")).toBe(true);
    const tall = Number.parseFloat(h.rows()[0]?.style.minHeight ?? "0");
    expect(tall).toBeGreaterThan(18 * 10);
    expect(h.rows()[1]?.style.minHeight).toBe("18px");
    h.click(wrap);
    expect(h.scroller.classList.contains("sp-log-wrap")).toBe(false);
    h.unmount();
  });

  it("renders markup in log lines as text", async () => {
    const h = new Harness();
    const payload = '<img src=x onerror="window.__pwned=1"><script>alert(1)</script>';
    await h.loadAll([[1, T0, "ERROR", payload, false]]);
    expect(h.el.querySelector("img")).toBeNull();
    expect(h.el.querySelector("script")).toBeNull();
    expect(h.rows()[0]?.querySelector(".sp-log-msg")?.textContent).toBe(payload);
    // Highlighting splits the text into spans, still without parsing it.
    h.search("onerror");
    expect(h.el.querySelector("img")).toBeNull();
    expect(h.rows()[0]?.querySelector("mark")?.textContent).toBe("onerror");
    expect(h.rows()[0]?.querySelector(".sp-log-msg")?.textContent).toBe(payload);
    h.unmount();
  });
});

describe("LogsTab colours and hidden characters", () => {
  const ESC = "\u001b";
  const payload = "<img src=x onerror=alert(1)>";
  const raw = `${ESC}[31m${payload}${ESC}[0m from evil\u202Eexe.txt ${ESC}]0;title\u0007done`;

  it("renders a server string with markup, ANSI colours and an RTL override as text", async () => {
    const h = new Harness();
    await h.loadAll([[1, T0, "ERROR", raw, false]]);
    const message = h.rows()[0]?.querySelector(".sp-log-msg");
    expect(h.el.querySelector("img, script")).toBeNull();
    expect(message?.textContent).toBe(`${payload} from evil⟦U+202E⟧exe.txt done`);
    expect(message?.querySelector(".sp-ansi-fg1")?.textContent).toBe(payload);
    expect(message?.querySelector("[data-testid=invisible-char]")?.getAttribute("title")).toBe(
      "U+202E RIGHT-TO-LEFT OVERRIDE: an invisible character",
    );
    expect(h.el.innerHTML).not.toContain(ESC);
    expect(h.el.querySelector("[style*=color]")).toBeNull();
    h.unmount();
  });

  it("searches the text as shown, never the escape codes", async () => {
    const h = new Harness();
    await h.loadAll([
      [1, T0, "WARNING", `${ESC}[33mWARNING${ESC}[0m: disk`, false],
      [2, T0, "INFO", "plain", false],
    ]);
    h.search("[33m");
    expect(h.text("[data-testid=log-match-count]")).toBe("0/0");
    h.search("warning: d");
    expect(h.text("[data-testid=log-match-count]")).toBe("1/1");
    expect(h.rows()[0]?.querySelector("mark")?.textContent).toBe("WARNING");
    expect([...(h.rows()[0]?.querySelectorAll("mark") ?? [])].map((m) => m.textContent)).toEqual([
      "WARNING",
      ": d",
    ]);
    h.unmount();
  });

  it("copies the plain text: no escape codes", async () => {
    const writeText = vi.fn(async (_text: string) => undefined);
    vi.stubGlobal("navigator", { clipboard: { writeText } });
    const h = new Harness();
    await h.loadAll([[1, T0, "ERROR", `${ESC}[1;31mfailed${ESC}[0m ${ESC}[2Kbadly`, false]]);
    await act(async () => {
      h.button("copy").click();
      await flush();
    });
    expect(writeText).toHaveBeenCalledWith("2026-11-24T20:13:00.000Z ERROR failed badly\n");
    h.unmount();
  });
});

describe("LogsTab search", () => {
  const needle = (n: number) => (n % 50_000 === 0 ? `request ${n} hit a NeedLe` : `request ${n}`);

  it("counts matching lines and moves between them with Enter and Shift+Enter", HEAVY, async () => {
    const h = new Harness();
    await h.loadAll(lines(200_000, 0, needle));
    const input = h.search("needle");
    expect(h.text("[data-testid=log-match-count]")).toBe("1/4");
    const current = () => h.el.querySelector("li.sp-log-current");
    expect(current()?.getAttribute("data-line")).toBe("50000");
    expect(current()?.querySelector("mark")?.textContent).toBe("NeedLe");
    h.key(input, "Enter");
    expect(h.text("[data-testid=log-match-count]")).toBe("2/4");
    expect(current()?.getAttribute("data-line")).toBe("100000");
    expect(h.scroller.scrollTop).toBeGreaterThan(99_000 * 18);
    h.key(input, "Enter", true);
    expect(h.text("[data-testid=log-match-count]")).toBe("1/4");
    h.click(h.button("Previous match"));
    expect(h.text("[data-testid=log-match-count]")).toBe("4/4");
    expect(current()?.getAttribute("data-line")).toBe("200000");
    h.click(h.button("Next match"));
    expect(h.text("[data-testid=log-match-count]")).toBe("1/4");
    expect(h.rows().length).toBeLessThan(200);
    h.key(input, "Escape");
    expect(input.value).toBe("");
    expect(h.text("[data-testid=log-match-count]")).toBe("");
    h.unmount();
  });

  it("says 0/0 when nothing matches", async () => {
    const h = new Harness();
    await h.loadAll(lines(10));
    h.search("absent");
    expect(h.text("[data-testid=log-match-count]")).toBe("0/0");
    // The search box keeps room for the count at its right end (logs.css).
    const query = h.el.querySelector<HTMLElement>(".sp-log-query");
    expect(query?.style.getPropertyValue("--sp-log-count-chars")).toBe("3");
    expect(h.button("Next match").disabled).toBe(true);
    h.unmount();
  });
});

describe("LogsTab level filter", () => {
  it("shows only lines at or above the level; continuations follow their record", async () => {
    const h = new Harness();
    await h.loadAll([
      [1, T0, "INFO", "starting", false],
      [2, T0, "DEBUG", "details", false],
      [3, T0, "ERROR", "model failed to load", false],
      [4, T0, "ERROR", "Traceback (most recent call last):", true],
      [5, T0, "ERROR", "RuntimeError: boom", true],
      [6, T0, "WARNING", "retrying", false],
      [7, null, null, "plain output", false],
    ]);
    expect(h.lineNumbers()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    h.select("Level", "5");
    expect(h.lineNumbers()).toEqual([3, 4, 5]);
    expect(h.text("[data-testid=log-status]")).toBe("7 lines · 3 shown");
    h.select("Level", "4");
    expect(h.lineNumbers()).toEqual([3, 4, 5, 6]);
    h.select("Level", "3");
    expect(h.lineNumbers()).toEqual([1, 3, 4, 5, 6]);
    h.search("boom");
    expect(h.text("[data-testid=log-match-count]")).toBe("1/1");
    h.select("Level", "0");
    expect(h.lineNumbers()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    h.unmount();
  });
});

describe("LogsTab follow", () => {
  it("polls every 2 s while on and active, appends new lines, and stops when off", async () => {
    vi.useFakeTimers();
    const h = new Harness();
    await h.loadAll(lines(10));
    h.click(h.el.querySelector("[data-testid=log-follow]") as HTMLElement);
    expect(h.requests("logs.follow")).toHaveLength(0);
    await act(async () => {
      vi.advanceTimersByTime(FOLLOW_MS);
    });
    expect(h.requests("logs.follow").map((r) => r.payload)).toEqual([
      { entity: "ads1-1", kind: "server", config_version: 1, known: 10, source_revision: 1 },
    ]);
    await h.reply("logs.follow", {
      reset: false,
      lines: lines(2, 10),
      total: 12,
      offset: 10,
      source_revision: 1,
    });
    expect(h.text("[data-testid=log-status]")).toBe("12 lines · following");
    expect(h.lineNumbers()).toContain(12);
    await act(async () => {
      vi.advanceTimersByTime(FOLLOW_MS - 1);
    });
    expect(h.requests("logs.follow")).toHaveLength(1);
    await act(async () => {
      vi.advanceTimersByTime(1);
    });
    expect(h.requests("logs.follow")).toHaveLength(2);
    expect(h.open("logs.follow").payload.known).toBe(12);
    await h.reply("logs.follow", {
      reset: false,
      lines: [],
      total: 12,
      offset: 12,
      source_revision: 1,
    });
    h.click(h.el.querySelector("[data-testid=log-follow]") as HTMLElement);
    await act(async () => {
      vi.advanceTimersByTime(FOLLOW_MS * 5);
    });
    expect(h.requests("logs.follow")).toHaveLength(2);
    h.unmount();
  });

  it("stops polling while the tab is hidden and when it unmounts", async () => {
    vi.useFakeTimers();
    const h = new Harness();
    await h.loadAll(lines(3));
    h.click(h.el.querySelector("[data-testid=log-follow]") as HTMLElement);
    h.setActive(false);
    await act(async () => {
      vi.advanceTimersByTime(FOLLOW_MS * 3);
    });
    expect(h.requests("logs.follow")).toHaveLength(0);
    h.setActive(true);
    await act(async () => {
      vi.advanceTimersByTime(FOLLOW_MS);
    });
    expect(h.requests("logs.follow")).toHaveLength(1);
    h.unmount();
    await act(async () => {
      vi.advanceTimersByTime(FOLLOW_MS * 3);
    });
    expect(h.requests("logs.follow")).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
    expect(h.rpc.outstanding).toBe(0);
  });

  it("reloads from the first line when Python says the log was replaced", async () => {
    vi.useFakeTimers();
    const h = new Harness();
    await h.loadAll(lines(5));
    h.click(h.el.querySelector("[data-testid=log-follow]") as HTMLElement);
    await act(async () => {
      vi.advanceTimersByTime(FOLLOW_MS);
    });
    await h.reply("logs.follow", { reset: true, total: 4, source_revision: 2 });
    expect(h.open("logs.page").payload.offset).toBe(0);
    await h.page(lines(4, 100), 2);
    expect(h.lineNumbers()).toEqual([101, 102, 103, 104]);
    await act(async () => {
      vi.advanceTimersByTime(FOLLOW_MS);
    });
    expect(h.open("logs.follow").payload).toMatchObject({ known: 4, source_revision: 2 });
    h.unmount();
  });
});

describe("LogsTab copy and download", () => {
  it("downloads the whole log as <endpoint>-<entity>-<kind>-v<version>.log", async () => {
    const h = new Harness();
    await h.loadAll([
      [1, T0, "INFO", "build started", false],
      [2, T0, "ERROR", "failed", false],
    ]);
    const blobs: Blob[] = [];
    vi.spyOn(URL, "createObjectURL").mockImplementation((blob) => {
      blobs.push(blob as Blob);
      return "blob:download-1";
    });
    const revoke = vi.spyOn(URL, "revokeObjectURL").mockImplementation(() => undefined);
    const names: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      names.push(this.download);
    });
    h.select("Level", "5");
    h.click(h.button("download"));
    expect(names).toEqual(["ads-endpoint-ads1-1-server-v1.log"]);
    expect(revoke).toHaveBeenCalledWith("blob:download-1");
    expect(await blobs[0]?.text()).toBe(
      "2026-11-24T20:13:00.000Z INFO build started\n2026-11-24T20:13:00.000Z ERROR failed\n",
    );
    expect(h.text(".sp-log-notice")).toBe("saved ads-endpoint-ads1-1-server-v1.log");
    h.unmount();
  });

  it("copies the lines the level filter shows", async () => {
    const writeText = vi.fn(async (_text: string) => undefined);
    vi.stubGlobal("navigator", { clipboard: { writeText } });
    const h = new Harness();
    await h.loadAll([
      [1, T0, "INFO", "build started", false],
      [2, T0, "ERROR", "failed", false],
    ]);
    h.select("Level", "5");
    await act(async () => {
      h.button("copy").click();
      await flush();
    });
    expect(writeText).toHaveBeenCalledWith("2026-11-24T20:13:00.000Z ERROR failed\n");
    expect(h.text(".sp-log-notice")).toBe("copied 1 line");
    h.unmount();
  });
});

describe("LogsTab errors and cleanup", () => {
  it("shows a reply error inline as an alert with its message", async () => {
    const h = new Harness();
    const message =
      "User viewer@example.com does not have CAN_MANAGE permission on endpoint ads-endpoint; " +
      "reading server logs needs CAN_MANAGE or higher.";
    await h.fail("logs.page", { message, error_code: "PERMISSION_DENIED", status: 403 });
    const alert = h.el.querySelector("[role=alert]");
    expect(alert?.textContent).toContain(message);
    expect(alert?.textContent).toContain("PERMISSION_DENIED · 403");
    h.click(h.button("retry"));
    expect(h.el.querySelector("[role=alert]")).toBeNull();
    expect(h.requests("logs.page")).toHaveLength(2);
    h.unmount();
  });

  it("says when a log has no lines", async () => {
    const h = new Harness();
    await h.loadAll([]);
    expect(h.text(".sp-log-empty")).toBe("The server log of ads1-1 in v1 has no lines yet.");
    h.unmount();
  });

  it("leaves no listeners, timers or open requests behind", async () => {
    vi.useFakeTimers();
    const h = new Harness();
    const base = h.model.listenerCount();
    await h.page(lines(40_000));
    h.click(h.el.querySelector("[data-testid=log-follow]") as HTMLElement);
    expect(h.rpc.outstanding).toBe(1); // the second page is on its way
    h.unmount();
    expect(h.rpc.outstanding).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    // Only the Rpc's own listener is left (the panel closes the Rpc with the view).
    expect(h.model.listenerCount("change:endpoint_name")).toBe(0);
    expect(h.model.listenerCount()).toBe(base - 1);
    h.rpc.close();
    expect(h.model.listenerCount()).toBe(0);
  });
});

describe("LogsTab asked for a line by another tab", () => {
  it("selects that log and brings the line into view once its page arrives", async () => {
    const request = { entity: "ads1-1", version: 1, kind: "build" as const, line: 4_000, at: 1 };
    const h = new TabHarness((props) => <LogsTab {...props} goTo={request} />);
    const asked = h.requests("logs.page");
    expect(asked).toHaveLength(1);
    expect(asked[0]?.payload).toMatchObject({ entity: "ads1-1", kind: "build", config_version: 1 });
    const all = lines(5_000);
    for (;;) {
      const offset = h.requests("logs.page").at(-1)?.payload.offset as number;
      await h.reply("logs.page", {
        lines: all.slice(offset, offset + PAGE_LINES),
        total: all.length,
        offset,
        source_revision: 1,
      });
      if (h.openCount("logs.page") === 0) break;
    }
    await flush();
    const scroller = h.el.querySelector<HTMLElement>(".sp-log-scroller");
    expect(scroller?.scrollTop ?? 0).toBeGreaterThan(3_000 * 18);
    const shown = [...h.el.querySelectorAll<HTMLLIElement>("ol.sp-log-window > li")].map((row) =>
      Number(row.dataset.line),
    );
    expect(shown).toContain(4_000);
    h.close();
  });
});
