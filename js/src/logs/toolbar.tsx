/**
 * The log viewer's toolbar: which log, search, level filter and view toggles, copy, download.
 * Controls sit in four groups (which log, search, view, export) that wrap as units when the
 * panel is narrow, so copy and download never end up alone on a second row.
 */
import { visibleText } from "../ui/visible";

import { LEVEL_FILTERS } from "./filter";
import type { Choices, Selection } from "./targets";
import type { LogKind } from "./types";

export interface ToolbarProps {
  choices: Choices;
  selection: Selection;
  kind: LogKind;
  onEntity: (entity: string) => void;
  onKind: (kind: LogKind) => void;
  onVersion: (version: number | null) => void;
  query: string;
  onQuery: (query: string) => void;
  matches: number;
  /** Index of the current match in the matches, or -1. */
  current: number;
  onStep: (delta: 1 | -1) => void;
  minLevel: number;
  onLevel: (rank: number) => void;
  wrap: boolean;
  onWrap: (wrap: boolean) => void;
  lineNumbers: boolean;
  onLineNumbers: (on: boolean) => void;
  follow: boolean;
  onFollow: (on: boolean) => void;
  canExport: boolean;
  onCopy: () => void;
  onDownload: () => void;
  onReload: () => void;
}

const versionValue = (version: number | null): string => (version === null ? "" : String(version));

function Toggle(props: {
  label: string;
  title: string;
  pressed: boolean;
  onChange: (on: boolean) => void;
  testId: string;
}) {
  return (
    <button
      type="button"
      class="sp-log-toggle"
      aria-pressed={props.pressed}
      aria-label={props.title}
      title={props.title}
      data-testid={props.testId}
      onClick={() => props.onChange(!props.pressed)}
    >
      {props.label}
    </button>
  );
}

export function Toolbar(props: ToolbarProps) {
  const { choices, selection, kind } = props;
  const onSearchKey = (event: KeyboardEvent): void => {
    if (event.key === "Enter") {
      event.preventDefault();
      props.onStep(event.shiftKey ? -1 : 1);
    } else if (event.key === "Escape" && props.query !== "") {
      event.preventDefault();
      props.onQuery("");
    }
  };
  const count =
    props.query === "" ? "" : `${props.matches === 0 ? 0 : props.current + 1}/${props.matches}`;
  return (
    <fieldset class="sp-log-toolbar" aria-label="Log view">
      <div class="sp-log-group">
        <select
          class="sp-log-entity"
          aria-label="Served entity"
          value={selection.entity}
          onChange={(event) => props.onEntity((event.currentTarget as HTMLSelectElement).value)}
        >
          {choices.entities.map((entity) => (
            <option key={entity.name} value={entity.name} title={visibleText(entity.label)}>
              {visibleText(entity.label)}
            </option>
          ))}
        </select>
        <fieldset class="sp-log-kind" aria-label="Log kind">
          {(["build", "server"] as const).map((option) => (
            <button
              key={option}
              type="button"
              aria-pressed={kind === option}
              data-testid={`log-kind-${option}`}
              onClick={() => props.onKind(option)}
            >
              {option}
            </button>
          ))}
        </fieldset>
        <select
          aria-label="Config version"
          value={versionValue(selection.version)}
          onChange={(event) => {
            const raw = (event.currentTarget as HTMLSelectElement).value;
            props.onVersion(raw === "" ? null : Number(raw));
          }}
        >
          {choices.versions.map((version) => (
            <option key={versionValue(version.version)} value={versionValue(version.version)}>
              {version.label}
            </option>
          ))}
        </select>
      </div>
      <span class="sp-log-search">
        <span class="sp-log-query" style={{ "--sp-log-count-chars": count.length }}>
          <input
            type="search"
            aria-label="Search the log"
            placeholder="Search"
            value={props.query}
            onInput={(event) => props.onQuery((event.currentTarget as HTMLInputElement).value)}
            onKeyDown={onSearchKey}
          />
          <span class="sp-log-count" data-testid="log-match-count" aria-live="polite">
            {count}
          </span>
        </span>
        <button
          type="button"
          aria-label="Previous match"
          title="Previous match (Shift+Enter)"
          disabled={props.matches === 0}
          onClick={() => props.onStep(-1)}
        >
          ↑
        </button>
        <button
          type="button"
          aria-label="Next match"
          title="Next match (Enter)"
          disabled={props.matches === 0}
          onClick={() => props.onStep(1)}
        >
          ↓
        </button>
      </span>
      <div class="sp-log-group">
        <select
          aria-label="Level"
          title="Lines without a level show under All levels only"
          value={String(props.minLevel)}
          onChange={(event) =>
            props.onLevel(Number((event.currentTarget as HTMLSelectElement).value))
          }
        >
          {LEVEL_FILTERS.map((filter) => (
            <option key={filter.rank} value={String(filter.rank)}>
              {filter.label}
            </option>
          ))}
        </select>
        <Toggle
          label="wrap"
          title="Wrap long lines"
          pressed={props.wrap}
          onChange={props.onWrap}
          testId="log-wrap"
        />
        <Toggle
          label="#"
          title="Line numbers"
          pressed={props.lineNumbers}
          onChange={props.onLineNumbers}
          testId="log-line-numbers"
        />
        <Toggle
          label="follow"
          title="Follow: read new lines every 2 s and keep the end in view"
          pressed={props.follow}
          onChange={props.onFollow}
          testId="log-follow"
        />
      </div>
      <div class="sp-log-group sp-log-export">
        <button
          type="button"
          title="Read the log again"
          aria-label="Reload"
          onClick={props.onReload}
        >
          ⟳
        </button>
        <button
          type="button"
          title="Copy the lines the level filter shows"
          disabled={!props.canExport}
          onClick={props.onCopy}
        >
          copy
        </button>
        <button
          type="button"
          title="Download the whole log as a file"
          disabled={!props.canExport}
          onClick={props.onDownload}
        >
          download
        </button>
      </div>
    </fieldset>
  );
}
