import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CopyAs, normalizeSnippets } from "./copy-as";

let el: HTMLElement;
afterEach(() => {
  render(null, el);
  el.remove();
  vi.unstubAllGlobals();
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("CopyAs", () => {
  it("copies the snippet chosen and shows it as text", async () => {
    const written: string[] = [];
    vi.stubGlobal("navigator", {
      clipboard: { writeText: async (t: string) => void written.push(t) },
    });
    el = document.createElement("div");
    document.body.append(el);
    const snippets = {
      curl: 'curl -X DELETE "$DATABRICKS_HOST/x" <b>',
      sdk: "w.delete()",
      other: "x",
    };
    render(<CopyAs snippets={snippets} />, el);
    const buttons = [...el.querySelectorAll("button")].map((b) => b.textContent);
    expect(buttons).toEqual(["curl", "databricks-sdk"]); // unknown kinds are not offered
    await act(async () => {
      el.querySelector<HTMLButtonElement>("[data-testid=copy-as-curl]")?.click();
      await settle();
    });
    expect(written).toEqual([snippets.curl]);
    expect(el.querySelector("[data-testid=copy-as-text]")?.textContent).toBe(snippets.curl);
    expect(el.querySelector("b")).toBeNull();
    expect(el.textContent).toContain("curl copied");
  });

  it("shows the text to select where the host has no clipboard", async () => {
    vi.stubGlobal("navigator", {});
    el = document.createElement("div");
    document.body.append(el);
    render(<CopyAs snippets={{ cli: "databricks serving-endpoints delete ads" }} />, el);
    await act(async () => {
      el.querySelector<HTMLButtonElement>("button")?.click();
      await settle();
    });
    expect(el.textContent).toContain("select the text below");
    expect(el.querySelector("pre")?.textContent).toBe("databricks serving-endpoints delete ads");
  });

  it("keeps only string snippets from a reply", () => {
    expect(normalizeSnippets({ curl: "c", sdk: 3, cli: null })).toEqual({ curl: "c" });
    expect(normalizeSnippets("junk")).toEqual({});
  });
});
