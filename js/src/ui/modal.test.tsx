import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Modal } from "./modal";

let el: HTMLElement;
let opener: HTMLButtonElement;

function show(onClose = vi.fn(), withButtons = true) {
  act(() => {
    render(
      <Modal class="box" labelledBy="t" testId="modal" onClose={onClose}>
        <h4 id="t">Title</h4>
        {withButtons ? (
          <>
            <button type="button">first</button>
            <button type="button" disabled>
              disabled
            </button>
            <button type="button">last</button>
          </>
        ) : null}
      </Modal>,
      el,
    );
  });
  return onClose;
}

const box = () => el.querySelector<HTMLElement>("[data-testid=modal]") as HTMLElement;
const buttons = () => [...el.querySelectorAll<HTMLButtonElement>("button")];

function key(target: Element, name: string, shiftKey = false): KeyboardEvent {
  const event = new KeyboardEvent("keydown", {
    key: name,
    shiftKey,
    bubbles: true,
    cancelable: true,
  });
  act(() => {
    target.dispatchEvent(event);
  });
  return event;
}

beforeEach(() => {
  opener = document.createElement("button");
  document.body.append(opener);
  opener.focus();
  el = document.createElement("div");
  document.body.append(el);
});

afterEach(() => {
  act(() => render(null, el));
  el.remove();
  opener.remove();
});

describe("Modal", () => {
  it("is a labelled modal dialog and takes the focus as it opens", () => {
    show();
    expect(box().getAttribute("role")).toBe("dialog");
    expect(box().getAttribute("aria-modal")).toBe("true");
    expect(box().getAttribute("aria-labelledby")).toBe("t");
    expect(document.activeElement).toBe(box());
  });

  it("keeps Tab and Shift+Tab inside, skipping disabled controls", () => {
    show();
    const [first, , last] = buttons();
    last?.focus();
    expect(key(last as HTMLElement, "Tab").defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(first);
    expect(key(first as HTMLElement, "Tab", true).defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(last);
    key(box(), "Tab", true); // from the box itself, backwards: the last control
    expect(document.activeElement).toBe(last);
  });

  it("keeps the focus on the box when there is nothing else to focus", () => {
    show(vi.fn(), false);
    expect(key(box(), "Tab").defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(box());
  });

  it("closes on Escape and gives the focus back to its opener when it goes", () => {
    const onClose = show();
    const event = key(buttons()[0] as HTMLElement, "Escape");
    expect(event.defaultPrevented).toBe(true);
    expect(onClose).toHaveBeenCalledTimes(1);
    act(() => render(null, el));
    expect(document.activeElement).toBe(opener);
  });
});
