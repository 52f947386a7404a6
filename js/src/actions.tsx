/**
 * The header's "⋮" actions menu (a menu button: Enter, Space or ↓ opens it on the first item,
 * ↑ on the last; ↑↓ Home End move, Enter or Space activate, Escape closes it and returns focus
 * to the button, Tab closes it), with "Copy endpoint id", "Stop endpoint…" or "Start
 * endpoint…" (power/), "Restore from backup…" (restore/) and "Delete endpoint…". The dialogs those open are `ActionDialog`s the
 * header renders below its own content (so a dialog never splits the title from its metadata);
 * closing one returns focus to the menu button (ui/modal.tsx).
 *
 * Listeners on the document (a click outside closes the menu) and the notice timer live in
 * layout effects, whose cleanups Preact runs as the view unmounts.
 */
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Rpc } from "./bridge/rpc";
import { DeleteDialog } from "./delete/dialog";
import type { Snapshot } from "./model";
import { powerAction } from "./power/availability";
import { PowerDialog } from "./power/dialog";
import { RestoreDialog } from "./restore/dialog";
import { copyText } from "./ui/clipboard";
import "./delete/delete.css";

/** How long "Endpoint id copied" stays. */
export const NOTICE_MS = 2_500;

interface EndpointActionsProps {
  /** The endpoint's id ("" before the first read). */
  endpointId: string;
  /** The panel deleted the endpoint: nothing left to delete. */
  deleted: boolean;
  /** Without it (a view that passes none) the delete, stop and start items are disabled. */
  rpc: Rpc | undefined;
  /** For the stop or start item; without it neither is offered. */
  snapshot?: Snapshot | undefined;
  /** An item that opens a dialog was chosen (the menu has closed and focused its button). */
  onOpenDialog: (kind: ActionDialogKind) => void;
}

export type ActionDialogKind = "delete" | "stop" | "start" | "restore";

type ItemKey = "copy" | ActionDialogKind;

interface Item {
  key: ItemKey;
  label: string;
  disabled: boolean;
  title: string | undefined;
}

let actionsCounter = 0;

export function EndpointActions({
  endpointId,
  deleted,
  rpc,
  snapshot,
  onOpenDialog,
}: EndpointActionsProps) {
  const [idPrefix] = useState(() => {
    actionsCounter += 1;
    return `sp-actions${actionsCounter}`;
  });
  const [menuOpen, setMenuOpen] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const wrapRef = useRef<HTMLSpanElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  const focusOnOpen = useRef<"first" | "last">("first");
  const live = useRef(true);

  const power = snapshot === undefined ? null : powerAction(snapshot);
  const items: Item[] = [
    {
      key: "copy",
      label: "Copy endpoint id",
      disabled: endpointId === "",
      title: endpointId === "" ? "The endpoint has not been read yet" : undefined,
    },
    ...(power === null
      ? []
      : [
          {
            key: power.action,
            label: power.action === "stop" ? "Stop endpoint…" : "Start endpoint…",
            disabled: rpc === undefined || power.disabled,
            title: power.why,
          },
        ]),
    {
      key: "delete",
      label: "Delete endpoint…",
      disabled: rpc === undefined || deleted,
      title: deleted ? "This endpoint was deleted" : undefined,
    },
    {
      key: "restore",
      label: "Restore from backup…",
      disabled: rpc === undefined,
      title: undefined,
    },
  ];

  const menuItems = (): HTMLElement[] => [
    ...(menuRef.current?.querySelectorAll<HTMLElement>("[role=menuitem]") ?? []),
  ];

  useLayoutEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);

  useLayoutEffect(() => {
    if (!menuOpen) return;
    const all = menuItems();
    (focusOnOpen.current === "last" ? all[all.length - 1] : all[0])?.focus();
    const doc = wrapRef.current?.ownerDocument ?? document;
    const onPointerDown = (event: Event): void => {
      const target = event.target;
      if (!(target instanceof Node) || !wrapRef.current?.contains(target)) setMenuOpen(false);
    };
    doc.addEventListener("pointerdown", onPointerDown, true);
    return () => doc.removeEventListener("pointerdown", onPointerDown, true);
  }, [menuOpen]);

  useLayoutEffect(() => {
    if (notice === null) return;
    const timer = setTimeout(() => setNotice(null), NOTICE_MS);
    return () => clearTimeout(timer);
  }, [notice]);

  const open = (where: "first" | "last"): void => {
    focusOnOpen.current = where;
    setNotice(null);
    setMenuOpen(true);
  };

  const closeMenu = (): void => {
    setMenuOpen(false);
    buttonRef.current?.focus();
  };

  const activate = (item: Item): void => {
    if (item.disabled) return;
    closeMenu();
    if (item.key !== "copy") {
      onOpenDialog(item.key);
      return;
    }
    copyText(endpointId).then(
      (copied) => {
        if (live.current) setNotice(copied ? "Endpoint id copied" : `Endpoint id: ${endpointId}`);
      },
      () => {
        if (live.current) setNotice(`Could not copy; the endpoint id is ${endpointId}`);
      },
    );
  };

  const onButtonKeyDown = (event: KeyboardEvent): void => {
    if (event.key === "Enter" || event.key === " " || event.key === "ArrowDown") {
      event.preventDefault();
      open("first");
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      open("last");
    }
  };

  const onMenuKeyDown = (event: KeyboardEvent): void => {
    const all = menuItems();
    const index = all.indexOf(event.target as HTMLElement);
    const focus = (to: number): void => {
      event.preventDefault();
      all[(to + all.length) % all.length]?.focus();
    };
    switch (event.key) {
      case "ArrowDown":
        focus(index + 1);
        break;
      case "ArrowUp":
        focus(index < 0 ? all.length - 1 : index - 1);
        break;
      case "Home":
        focus(0);
        break;
      case "End":
        focus(all.length - 1);
        break;
      case "Escape":
        event.preventDefault();
        event.stopPropagation();
        closeMenu();
        break;
      case "Tab":
        setMenuOpen(false);
        break;
      case "Enter":
      case " ": {
        event.preventDefault();
        const item = items[index];
        if (item !== undefined) activate(item);
        break;
      }
    }
  };

  const buttonId = `${idPrefix}-button`;
  const menuId = `${idPrefix}-menu`;
  return (
    <span ref={wrapRef} class="sp-delete sp-actions">
      <button
        ref={buttonRef}
        id={buttonId}
        type="button"
        class="sp-button sp-actions-button"
        aria-haspopup="menu"
        aria-expanded={menuOpen ? "true" : "false"}
        aria-controls={menuOpen ? menuId : undefined}
        aria-label="Endpoint actions"
        title="Endpoint actions"
        data-testid="actions"
        onClick={() => (menuOpen ? setMenuOpen(false) : open("first"))}
        onKeyDown={onButtonKeyDown}
      >
        <span aria-hidden="true">⋮</span>
      </button>
      {menuOpen && (
        <div
          ref={menuRef}
          id={menuId}
          class="sp-menu"
          role="menu"
          aria-labelledby={buttonId}
          data-testid="actions-menu"
          onKeyDown={onMenuKeyDown}
        >
          {items.map((item) => (
            <button
              key={item.key}
              type="button"
              role="menuitem"
              tabIndex={-1}
              class={item.key === "delete" ? "sp-menuitem sp-menuitem-danger" : "sp-menuitem"}
              aria-disabled={item.disabled ? "true" : undefined}
              title={item.title}
              data-testid={`action-${item.key}`}
              onClick={() => activate(item)}
            >
              {item.label}
            </button>
          ))}
        </div>
      )}
      {notice !== null && (
        <span class="sp-actions-notice" role="status" data-testid="actions-notice">
          {notice}
        </span>
      )}
    </span>
  );
}

interface ActionDialogProps {
  kind: ActionDialogKind;
  name: string;
  rpc: Rpc;
  snapshot: Snapshot;
  /** Prefix for element ids, unique per panel view. */
  idPrefix: string;
  onClose: () => void;
}

/** The dialog an actions menu item opens. */
export function ActionDialog({ kind, name, rpc, snapshot, idPrefix, onClose }: ActionDialogProps) {
  if (kind === "delete") {
    return <DeleteDialog name={name} rpc={rpc} idPrefix={idPrefix} onClose={onClose} />;
  }
  if (kind === "restore") {
    return <RestoreDialog rpc={rpc} idPrefix={idPrefix} onClose={onClose} />;
  }
  return (
    <PowerDialog
      action={kind}
      name={name}
      snapshot={snapshot}
      rpc={rpc}
      idPrefix={idPrefix}
      onClose={onClose}
    />
  );
}
