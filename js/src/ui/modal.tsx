/**
 * The panel's one modal dialog box (the delete dialog and the permissions review use it):
 * role="dialog" with aria-modal and a label; focus moves to the box as it opens (its title is
 * read first); Tab and Shift+Tab wrap inside it; Escape closes it; when it goes, focus returns
 * to what had it when the dialog opened, if that is still on the page.
 *
 * Not a native <dialog> with showModal(): that moves the box into the page's top layer, over
 * the whole notebook, where today each dialog sits inside its panel; and happy-dom (the unit
 * tests) does not emulate showModal's focus containment, so the trap could not be tested.
 * The trap is written here once instead. Making what lies behind the box inert is the
 * caller's choice (the permissions tab does).
 */
import type { ComponentChildren, Ref } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";

const FOCUSABLE =
  'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [href], [tabindex]:not([tabindex="-1"])';

export interface ModalProps {
  /** Classes of the box. */
  class: string;
  /** Id of the element that names the dialog (its title). */
  labelledBy: string;
  describedBy?: string | undefined;
  busy?: boolean;
  testId: string;
  /** Escape pressed (Cancel buttons call the caller's own handler). */
  onClose: () => void;
  /** The box element, for callers that need it (a download's parent). */
  boxRef?: Ref<HTMLDivElement>;
  children: ComponentChildren;
}

/** Keeps Tab inside `box`: from the last focusable to the first, and back with Shift. */
function trapTab(box: HTMLElement, event: KeyboardEvent): void {
  const focusable = [...box.querySelectorAll<HTMLElement>(FOCUSABLE)];
  const first = focusable[0];
  const last = focusable[focusable.length - 1];
  if (first === undefined || last === undefined) {
    event.preventDefault();
    box.focus();
    return;
  }
  const active = box.ownerDocument.activeElement;
  const inside = active instanceof Node && box.contains(active);
  if (event.shiftKey && (!inside || active === first || active === box)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (!inside || active === last)) {
    event.preventDefault();
    first.focus();
  }
}

export function Modal(props: ModalProps) {
  const box = useRef<HTMLDivElement | null>(null);
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;

  useLayoutEffect(() => {
    const element = box.current;
    const active = element?.ownerDocument.activeElement;
    const opener = active instanceof HTMLElement ? active : null;
    element?.focus();
    return () => {
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  const onKeyDown = (event: KeyboardEvent): void => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      onClose.current();
    } else if (event.key === "Tab" && box.current !== null) {
      trapTab(box.current, event);
    }
  };

  const setBox = (element: HTMLDivElement | null): void => {
    box.current = element;
    const outer = props.boxRef;
    if (typeof outer === "function") outer(element);
    else if (outer != null) outer.current = element;
  };

  return (
    <div
      ref={setBox}
      class={props.class}
      role="dialog"
      aria-modal="true"
      aria-labelledby={props.labelledBy}
      aria-describedby={props.describedBy}
      aria-busy={props.busy === undefined ? undefined : props.busy ? "true" : "false"}
      tabIndex={-1}
      data-testid={props.testId}
      onKeyDown={onKeyDown}
    >
      {props.children}
    </div>
  );
}
