import { act } from "preact/test-utils";
import { afterEach, describe, expect, it } from "vitest";
import { configFixture, entityFixture } from "../../test/fake-model";
import { flush, TabHarness } from "../../test/tab-harness";
import { QueryTab } from "./tab";

class QueryHarness extends TabHarness {
  byTestId(id: string): HTMLElement {
    const found = this.el.querySelector<HTMLElement>(`[data-testid="${id}"]`);
    if (found === null) throw new Error(`no [data-testid="${id}"]`);
    return found;
  }

  maybe(id: string): HTMLElement | null {
    return this.el.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  }

  get editor(): HTMLTextAreaElement {
    return this.byTestId("query-editor") as HTMLTextAreaElement;
  }

  get sendButton(): HTMLButtonElement {
    return this.byTestId("query-send") as HTMLButtonElement;
  }

  type(text: string): void {
    act(() => {
      this.editor.value = text;
      this.editor.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  choose(target: string): void {
    act(() => {
      const select = this.byTestId("query-target") as HTMLSelectElement;
      select.value = target;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  click(id: string | HTMLElement): void {
    const element = typeof id === "string" ? this.byTestId(id) : id;
    act(() => element.click());
  }

  async partial(data: unknown): Promise<void> {
    const id = this.open("query.send").id;
    await act(async () => {
      this.model.receive({ type: "partial", id, data });
      await flush();
    });
  }

  async ready(request: unknown = { dataframe_records: [{ x: 1 }] }): Promise<void> {
    await this.reply("query.prefill", { request, source: "openapi", note: "" });
    await this.reply("query.history", { entries: [], limit: 50 });
  }
}

const twoEntities = {
  config: configFixture({
    entities: [entityFixture(), entityFixture({ name: "ads1-2", version: "2", traffic: 0 })],
  }),
};

let harness: QueryHarness | null = null;
afterEach(() => {
  harness?.close();
  harness = null;
});

function mount(snapshot = {}, active = true): QueryHarness {
  harness = new QueryHarness(QueryTab, snapshot, active);
  return harness;
}

function answer(overrides: Record<string, unknown> = {}) {
  return {
    status: 200,
    latency_ms: 41.25,
    served_entity: "ads1-1",
    body: { predictions: [3.0] },
    streamed: false,
    chunks: 0,
    stream_error: null,
    entry: {
      id: 1,
      at: 1_700_000_000_000,
      target: null,
      request: { dataframe_records: [{ x: 1 }] },
      status: 200,
      latency_ms: 41.25,
      served_entity: "ads1-1",
      streamed: false,
    },
    ...overrides,
  };
}

describe("the Query tab", () => {
  it("asks for nothing until shown, then prefills the editor and says from where", async () => {
    const h = mount({}, false);
    expect(h.model.requests()).toEqual([]);
    h.setActive(true);
    expect(h.openCount("query.prefill")).toBe(1);
    await h.ready({ dataframe_records: [{ text: "example" }] });
    expect(JSON.parse(h.editor.value)).toEqual({ dataframe_records: [{ text: "example" }] });
    expect(h.byTestId("query-source").textContent).toContain("OpenAPI document");
  });

  it("names a JSON problem and keeps Send off until it is fixed", async () => {
    const h = mount();
    await h.ready();
    h.type('{"dataframe_records": [1,]}');
    expect(h.byTestId("query-problem").textContent).toMatch(/^Not valid JSON at line 1/);
    expect(h.sendButton.disabled).toBe(true);
    h.type("[1]");
    expect(h.byTestId("query-problem").textContent).toContain("not an array");
    h.type('{"dataframe_records": [{"x": 2}]}');
    expect(h.maybe("query-problem")).toBeNull();
    expect(h.sendButton.disabled).toBe(false);
  });

  it("sends to the chosen entity and shows status, latency, who answered and the body as text", async () => {
    const h = mount(twoEntities);
    await h.ready();
    h.choose("ads1-2");
    h.click("query-send");
    expect(h.open("query.send").payload).toEqual({
      request: { dataframe_records: [{ x: 1 }] },
      served_entity: "ads1-2",
    });
    expect(h.sendButton.textContent).toBe("Sending…");
    await h.reply(
      "query.send",
      answer({ served_entity: "ads1-2", body: { predictions: ["<b>bold</b>"] } }),
    );
    expect(h.byTestId("query-status").textContent).toBe("200");
    expect(h.byTestId("query-latency").textContent).toContain("41.3 ms");
    expect(h.byTestId("query-entity").textContent).toContain("ads1-2");
    const body = h.byTestId("query-body");
    expect(JSON.parse(body.textContent ?? "")).toEqual({ predictions: ["<b>bold</b>"] });
    expect(body.querySelector("b")).toBeNull();
    expect(h.byTestId("query-history").textContent).toContain("200");
  });

  it("shows the service's refusal as the answer, and a failed request as an error", async () => {
    const h = mount();
    await h.ready();
    h.click("query-send");
    await h.reply(
      "query.send",
      answer({
        status: 400,
        served_entity: null,
        body: { error_code: "BAD_REQUEST", message: "no x" },
      }),
    );
    expect(h.byTestId("query-status").textContent).toBe("400");
    expect(h.maybe("query-entity")).toBeNull();
    expect(h.byTestId("query-body").textContent).toContain("no x");
    h.click("query-send");
    await h.fail("query.send", { message: "no connection", error_code: "ConnectionFailed" });
    expect(h.byTestId("query-error").textContent).toContain("no connection");
  });

  it("appends streamed chunks as they arrive, before the reply", async () => {
    const h = mount();
    await h.ready();
    h.type('{"dataframe_records": [{"prompt": "a b c"}], "stream": true}');
    h.click("query-send");
    for (const [index, content] of ["c", " b", " a"].entries()) {
      await h.partial({ index, chunk: { choices: [{ index: 0, delta: { content } }] } });
    }
    expect(h.byTestId("query-stream").textContent).toBe("c b a");
    expect(h.maybe("query-status")).toBeNull();
    await h.reply("query.send", answer({ streamed: true, body: [], chunks: 3 }));
    expect(h.byTestId("query-stream").textContent).toBe("c b a");
    expect(h.byTestId("query-status").textContent).toBe("200");
  });

  it("puts a request from the history back in the editor, with its target", async () => {
    const h = mount(twoEntities);
    await h.reply("query.prefill", { request: { a: 1 }, source: "skeleton", note: "" });
    await h.reply("query.history", {
      entries: [
        { id: 1, target: "ads1-2", request: { dataframe_records: [{ x: 9 }] }, status: 200 },
        { id: 2, target: null, request: { dataframe_records: [{ x: 8 }] }, status: 400 },
      ],
    });
    const items = h.el.querySelectorAll<HTMLElement>('[data-testid="query-history-item"]');
    expect(items).toHaveLength(2);
    expect(items[0]?.textContent).toContain("400"); // newest first
    h.click(items[1] as HTMLElement);
    expect(JSON.parse(h.editor.value)).toEqual({ dataframe_records: [{ x: 9 }] });
    expect((h.byTestId("query-target") as HTMLSelectElement).value).toBe("ads1-2");
  });

  it("keeps as many sends in its history as the kernel says it keeps", async () => {
    const h = mount();
    await h.reply("query.prefill", { request: { a: 1 }, source: "skeleton", note: "" });
    await h.reply("query.history", {
      entries: [
        { id: 1, target: null, request: { a: 1 }, status: 200 },
        { id: 2, target: null, request: { a: 2 }, status: 400 },
      ],
      limit: 2,
    });
    h.click("query-send");
    await h.reply("query.send", answer({ entry: { ...answer().entry, id: 3, status: 201 } }));
    const items = h.el.querySelectorAll<HTMLElement>('[data-testid="query-history-item"]');
    expect([...items].map((item) => item.textContent?.includes("201"))).toEqual([true, false]);
    expect(items[1]?.textContent).toContain("400"); // the oldest (id 1) went
  });

  it("copies a snippet Python built, and shows it as text", async () => {
    const h = mount();
    await h.ready();
    h.click("query-copy");
    h.click("query-copy-curl");
    expect(h.open("query.snippets").payload).toEqual({
      request: { dataframe_records: [{ x: 1 }] },
      served_entity: null,
    });
    const curl = `curl -sS -X POST "$DATABRICKS_HOST"/serving-endpoints/x/invocations`;
    await h.reply("query.snippets", { curl, serving_client: "", sdk: "", cli: "", sql: "" });
    expect(h.byTestId("query-snippet").textContent).toBe(curl);
    expect(h.byTestId("query-copy-status").textContent).toMatch(/Copied as curl|No clipboard/);
    expect(h.maybe("query-copy-menu")).toBeNull();
  });

  it("says CAN_QUERY is needed and keeps Send off for a CAN_VIEW caller", async () => {
    const h = mount({ permission_level: "CAN_VIEW" });
    await h.ready();
    expect(h.byTestId("query-needs").textContent).toContain("needs CAN_QUERY; you have CAN_VIEW");
    expect(h.sendButton.disabled).toBe(true);
  });

  it("leaves no listener behind when closed", async () => {
    const h = mount();
    await h.ready();
    h.close();
    harness = null;
    expect(h.model.listenerCount()).toBe(0);
  });
});
