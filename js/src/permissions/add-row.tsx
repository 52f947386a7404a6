/**
 * The "add" row: a principal combobox with lookup, a kind select, a level select, Add.
 *
 * Typing asks Python (`principals.lookup`) for matching users, groups and service principals,
 * LOOKUP_DELAY_MS after the last keystroke and only from MIN_QUERY characters; answers to
 * older queries are dropped. The suggestions are a WAI-ARIA listbox driven from the input
 * (combobox pattern): Down/Up move, Enter picks, Escape closes. Picking one fills the name and
 * its kind. When the workspace has no SCIM lookup (`available: false`), the name is typed in
 * full and the kind picked by hand; the kind select is always there for names lookup missed.
 */
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { useWait } from "../bridge/hooks";
import type { Rpc } from "../bridge/rpc";
import { waitText } from "../bridge/waiting";
import { toErrorView } from "../ui/errors";
import { Visible } from "../ui/visible";
import {
  isKind,
  KIND_LABELS,
  KINDS,
  type LookupHit,
  normalizeLookup,
  type PrincipalKind,
} from "./types";

/** Quiet time after the last keystroke before a lookup is sent. */
export const LOOKUP_DELAY_MS = 250;
/** Shortest query Python accepts. */
export const MIN_QUERY = 2;
/** How long a lookup may take before it is given up. */
export const LOOKUP_TIMEOUT_MS = 15_000;

export interface AddRowProps {
  rpc: Rpc;
  levels: string[];
  idPrefix: string;
  /** Stages the grant; returns why it can't be added, or null when it was. */
  onAdd: (grant: {
    kind: PrincipalKind;
    name: string;
    level: string;
    display_name: string | null;
  }) => string | null;
}

type Lookup =
  | { state: "idle" }
  | { state: "searching"; query: string }
  | { state: "done"; query: string; hits: LookupHit[]; available: boolean }
  | { state: "failed"; query: string; message: string };

export function AddRow({ rpc, levels, idPrefix, onAdd }: AddRowProps) {
  const wait = useWait(rpc.waits);
  const [name, setName] = useState("");
  const [kind, setKind] = useState<PrincipalKind>("user");
  const [level, setLevel] = useState(() => levels[0] ?? "CAN_VIEW");
  const [picked, setPicked] = useState<LookupHit | null>(null);
  const [lookup, setLookup] = useState<Lookup>({ state: "idle" });
  const [open, setOpen] = useState(false);
  const [activeIndex, setActiveIndex] = useState(-1);
  const [problem, setProblem] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const sequence = useRef(0);
  const live = useRef(true);
  const input = useRef<HTMLInputElement>(null);

  const cancelTimer = (): void => {
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = null;
  };

  // Layout effect: its cleanup runs synchronously on unmount, so no lookup timer outlives
  // the view and no late answer updates it.
  useLayoutEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
      sequence.current += 1;
      cancelTimer();
    };
  }, []);

  const hits = lookup.state === "done" ? lookup.hits : [];
  const listOpen = open && hits.length > 0;
  const unavailable = lookup.state === "done" && !lookup.available;
  const listId = `${idPrefix}-perms-suggestions`;
  const optionId = (index: number): string => `${idPrefix}-perms-suggestion-${index}`;

  const search = (query: string): void => {
    sequence.current += 1;
    const mine = sequence.current;
    setLookup({ state: "searching", query });
    rpc.request<unknown>("principals.lookup", { query }, { timeoutMs: LOOKUP_TIMEOUT_MS }).then(
      (raw) => {
        if (!live.current || mine !== sequence.current) return;
        const result = normalizeLookup(raw);
        setLookup({ state: "done", query, hits: result.results, available: result.available });
        setActiveIndex(-1);
        setOpen(true);
      },
      (reason: unknown) => {
        if (!live.current || mine !== sequence.current) return;
        setLookup({ state: "failed", query, message: toErrorView(reason).message });
        setOpen(false);
      },
    );
  };

  const onInput = (event: Event): void => {
    const value = (event.currentTarget as HTMLInputElement).value;
    setName(value);
    setPicked(null);
    setProblem(null);
    cancelTimer();
    const query = value.trim();
    if (query.length < MIN_QUERY) {
      sequence.current += 1; // an answer still on its way is for an older query
      setLookup({ state: "idle" });
      setOpen(false);
      return;
    }
    timer.current = setTimeout(() => {
      timer.current = null;
      search(query);
    }, LOOKUP_DELAY_MS);
  };

  const pick = (hit: LookupHit): void => {
    cancelTimer();
    setName(hit.name);
    setKind(hit.kind);
    setPicked(hit);
    setOpen(false);
    setActiveIndex(-1);
    setProblem(null);
  };

  const submit = (): void => {
    const trimmed = name.trim();
    const display = picked !== null && picked.name === trimmed ? picked.display_name : null;
    const why = onAdd({ kind, name: trimmed, level, display_name: display });
    setProblem(why);
    if (why !== null) return;
    cancelTimer();
    sequence.current += 1;
    setName("");
    setPicked(null);
    setLookup({ state: "idle" });
    setOpen(false);
    input.current?.focus();
  };

  const onKeyDown = (event: KeyboardEvent): void => {
    const count = hits.length;
    switch (event.key) {
      case "ArrowDown":
        if (count === 0) return;
        event.preventDefault();
        setOpen(true);
        setActiveIndex((index) => (!listOpen || index >= count - 1 ? 0 : index + 1));
        return;
      case "ArrowUp":
        if (count === 0) return;
        event.preventDefault();
        setOpen(true);
        setActiveIndex((index) => (!listOpen || index <= 0 ? count - 1 : index - 1));
        return;
      case "Enter": {
        event.preventDefault();
        const hit = listOpen && activeIndex >= 0 ? hits[activeIndex] : undefined;
        if (hit !== undefined) pick(hit);
        else submit();
        return;
      }
      case "Escape":
        if (!listOpen) return;
        event.preventDefault();
        event.stopPropagation();
        setOpen(false);
        setActiveIndex(-1);
        return;
      case "Tab":
        setOpen(false);
        return;
      default:
        return;
    }
  };

  let status = "";
  if (lookup.state === "searching") status = waitText(wait, "looking up…");
  else if (lookup.state === "failed") status = `lookup failed: ${lookup.message}`;
  else if (unavailable) {
    status = "Lookup isn't available in this workspace: type the exact name and pick its kind.";
  } else if (lookup.state === "done") {
    status =
      hits.length === 0
        ? "no matches; type the exact name and pick its kind"
        : `${hits.length} suggestion${hits.length === 1 ? "" : "s"}`;
  }

  const active = listOpen && activeIndex >= 0 ? activeIndex : -1;
  return (
    <div class="sp-perms-add" data-testid="perms-add">
      <div class="sp-perms-combo">
        <input
          ref={input}
          type="text"
          role="combobox"
          class="sp-perms-input"
          value={name}
          placeholder={unavailable ? "exact user, group or application id" : "add user, group…"}
          aria-label="Principal to add"
          aria-autocomplete="list"
          aria-expanded={listOpen ? "true" : "false"}
          aria-controls={listId}
          aria-activedescendant={active >= 0 ? optionId(active) : undefined}
          autocomplete="off"
          spellcheck={false}
          data-testid="perms-principal"
          onInput={onInput}
          onKeyDown={onKeyDown}
          onBlur={() => setOpen(false)}
        />
        <div
          id={listId}
          role="listbox"
          class="sp-perms-listbox"
          aria-label="Matching principals"
          hidden={!listOpen}
          data-testid="perms-suggestions"
        >
          {hits.map((hit, index) => (
            <div
              key={`${hit.kind}\u0000${hit.name}`}
              id={optionId(index)}
              role="option"
              tabIndex={-1}
              class="sp-perms-option"
              aria-selected={index === active ? "true" : "false"}
              onMouseDown={(event) => {
                event.preventDefault(); // keep the focus in the input
                pick(hit);
              }}
            >
              <span class="sp-perms-option-name">
                <Visible text={hit.display_name} />
              </span>
              {hit.display_name !== hit.name ? (
                <span class="sp-perms-muted">
                  <Visible text={hit.name} />
                </span>
              ) : null}
              <span class="sp-perms-kind">{KIND_LABELS[hit.kind]}</span>
            </div>
          ))}
        </div>
      </div>
      <select
        class="sp-perms-select"
        aria-label="Kind of principal"
        value={kind}
        data-testid="perms-kind"
        onChange={(event) => {
          const value = (event.currentTarget as HTMLSelectElement).value;
          if (isKind(value)) setKind(value);
        }}
      >
        {KINDS.map((k) => (
          <option key={k} value={k}>
            {KIND_LABELS[k]}
          </option>
        ))}
      </select>
      <select
        class="sp-perms-select"
        aria-label="Level to grant"
        value={level}
        data-testid="perms-level"
        onChange={(event) => setLevel((event.currentTarget as HTMLSelectElement).value)}
      >
        {levels.map((l) => (
          <option key={l} value={l}>
            {l}
          </option>
        ))}
      </select>
      <button type="button" class="sp-perms-button" data-testid="perms-add-button" onClick={submit}>
        Add
      </button>
      <span class="sp-perms-hint" aria-live="polite" data-testid="perms-lookup-status">
        {status}
      </span>
      {problem !== null ? (
        <span class="sp-perms-problem" role="alert" data-testid="perms-add-problem">
          {problem}
        </span>
      ) : null}
    </div>
  );
}
