/**
 * The tab bar and its panels, inside the one widget (no ipywidgets containers: marimo cannot
 * render them). WAI-ARIA tabs with automatic activation: a roving tabindex keeps one tab in the
 * page's Tab order; Left/Right (wrapping), Home and End move the selection and the focus.
 * Every panel stays mounted (hidden when inactive) and is told whether it is active, so a tab
 * keeps its view state (a log search, a scroll position) across switches. The selection is the
 * component's own unless the caller holds it (`selected` and `onSelect`: a link in one tab
 * that opens another).
 */
import type { ComponentChildren } from "preact";
import { useRef, useState } from "preact/hooks";

export type TabSpec = {
  /** Short and stable: used in element ids and as `data-testid="tab-<key>"`. */
  key: string;
  label: string;
  render: (active: boolean) => ComponentChildren;
};

interface TabsProps {
  /** Unique per view: ids must not collide when a panel is displayed twice on a page. */
  idPrefix: string;
  tabs: TabSpec[];
  label: string;
  initial?: string;
  /** The selected tab's key, when the caller holds the selection. */
  selected?: string | undefined;
  onSelect?: ((key: string) => void) | undefined;
}

export function Tabs({ idPrefix, tabs, label, initial, ...held }: TabsProps) {
  const [own, setOwn] = useState<string>(initial ?? tabs[0]?.key ?? "");
  const selected = held.selected ?? own;
  const setSelected = (key: string): void => {
    setOwn(key);
    held.onSelect?.(key);
  };
  const buttons = useRef<Array<HTMLButtonElement | null>>([]);

  const select = (index: number): void => {
    const count = tabs.length;
    const tab = tabs[((index % count) + count) % count];
    if (tab === undefined) return;
    setSelected(tab.key);
    buttons.current[tabs.indexOf(tab)]?.focus();
  };

  const onKeyDown = (event: KeyboardEvent): void => {
    const current = tabs.findIndex((t) => t.key === selected);
    const moves: Record<string, number> = {
      ArrowRight: current + 1,
      ArrowLeft: current - 1,
      Home: 0,
      End: tabs.length - 1,
    };
    const target = moves[event.key];
    if (target === undefined) return;
    event.preventDefault();
    select(target);
  };

  return (
    <div class="sp-tabs">
      <div class="sp-tablist" role="tablist" aria-label={label} onKeyDown={onKeyDown}>
        {tabs.map((tab, index) => {
          const active = tab.key === selected;
          return (
            <button
              key={tab.key}
              ref={(el) => {
                buttons.current[index] = el;
              }}
              type="button"
              role="tab"
              class="sp-tab"
              id={`${idPrefix}-tab-${tab.key}`}
              aria-selected={active ? "true" : "false"}
              aria-controls={`${idPrefix}-panel-${tab.key}`}
              tabIndex={active ? 0 : -1}
              data-testid={`tab-${tab.key}`}
              onClick={() => setSelected(tab.key)}
            >
              {tab.label}
            </button>
          );
        })}
      </div>
      {tabs.map((tab) => {
        const active = tab.key === selected;
        return (
          <div
            key={tab.key}
            role="tabpanel"
            class="sp-tabpanel"
            id={`${idPrefix}-panel-${tab.key}`}
            aria-labelledby={`${idPrefix}-tab-${tab.key}`}
            // biome-ignore lint/a11y/noNoninteractiveTabindex: WAI-ARIA tabs: a panel without focusable content is itself focusable.
            tabIndex={0}
            hidden={!active}
          >
            {tab.render(active)}
          </div>
        );
      })}
    </div>
  );
}
