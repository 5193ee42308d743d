import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { visibleRange } from './virtual-range';

export interface VirtualListProps<T> {
  items: readonly T[];
  rowHeight: number;
  keyOf: (item: T) => string;
  renderRow: (item: T, state: { active: boolean; selected: boolean }) => ReactNode;
  /** The row the keyboard is on (highlighted); Enter opens it. */
  activeKey: string | null;
  selectedKey: string | null;
  onActiveChange: (key: string) => void;
  onOpen: (key: string) => void;
  label: string;
  testId?: string;
  rowTestId?: string;
  rowData?: (item: T) => Record<`data-${string}`, string>;
  idPrefix: string;
}

/**
 * A listbox that renders only the rows in view (fixed row height), so a list of tens of thousands
 * of records scrolls like one of ten. Keyboard: ↑/↓, Page Up/Down, Home/End move the active row,
 * Enter opens it; the focused list announces the active row through aria-activedescendant.
 */
export function VirtualList<T>(props: VirtualListProps<T>) {
  const { items, rowHeight, keyOf, activeKey, onActiveChange, onOpen } = props;
  const container = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState({ top: 0, height: 600 });

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const observer = new ResizeObserver(() => {
      setViewport({ top: element.scrollTop, height: element.clientHeight });
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const activeIndex = activeKey === null ? -1 : items.findIndex((item) => keyOf(item) === activeKey);
  const { start, end } = visibleRange(items.length, rowHeight, viewport.top, viewport.height);

  const scrollIntoView = (index: number) => {
    const element = container.current;
    if (!element) return;
    const rowTop = index * rowHeight;
    if (rowTop < element.scrollTop) element.scrollTop = rowTop;
    else if (rowTop + rowHeight > element.scrollTop + element.clientHeight) {
      element.scrollTop = rowTop + rowHeight - element.clientHeight;
    }
  };

  // A row made active from outside (a new record, a reference followed) is scrolled to once; later
  // changes of the list (live sync) do not pull the view back to it.
  const scrolledTo = useRef<string | null>(null);
  useEffect(() => {
    if (activeKey === null || activeIndex < 0 || scrolledTo.current === activeKey) return;
    scrolledTo.current = activeKey;
    const element = container.current;
    if (!element) return;
    const rowTop = activeIndex * rowHeight;
    if (rowTop < element.scrollTop || rowTop + rowHeight > element.scrollTop + element.clientHeight) {
      element.scrollTop = Math.max(0, rowTop - element.clientHeight / 3);
    }
  }, [activeKey, activeIndex, rowHeight]);

  const moveTo = (index: number) => {
    const clamped = Math.max(0, Math.min(items.length - 1, index));
    const item = items[clamped];
    if (item === undefined) return;
    scrollIntoView(clamped);
    scrolledTo.current = keyOf(item);
    onActiveChange(keyOf(item));
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const page = Math.max(1, Math.floor(viewport.height / rowHeight) - 1);
    const from = activeIndex < 0 ? -1 : activeIndex;
    switch (event.key) {
      case 'ArrowDown':
        moveTo(from + 1);
        break;
      case 'ArrowUp':
        moveTo(from <= 0 ? 0 : from - 1);
        break;
      case 'PageDown':
        moveTo(from + page);
        break;
      case 'PageUp':
        moveTo(from - page);
        break;
      case 'Home':
        moveTo(0);
        break;
      case 'End':
        moveTo(items.length - 1);
        break;
      case 'Enter':
      case ' ':
        if (activeKey !== null) onOpen(activeKey);
        else if (items[0] !== undefined) onOpen(keyOf(items[0]));
        break;
      default:
        return;
    }
    event.preventDefault();
  };

  const rows: ReactNode[] = [];
  for (let index = start; index < end; index++) {
    const item = items[index];
    if (item === undefined) continue;
    const key = keyOf(item);
    const active = key === activeKey;
    const selected = key === props.selectedKey;
    rows.push(
      <div
        key={key}
        id={`${props.idPrefix}-${key}`}
        role="option"
        aria-selected={selected}
        aria-posinset={index + 1}
        aria-setsize={items.length}
        className={`vrow${active ? ' active' : ''}${selected ? ' selected' : ''}`}
        style={{ transform: `translateY(${String(index * rowHeight)}px)`, height: rowHeight }}
        data-testid={props.rowTestId}
        {...props.rowData?.(item)}
        onMouseDown={(event) => {
          // Keep focus on the list (for the keyboard) rather than on the row.
          event.preventDefault();
          container.current?.focus();
        }}
        onClick={() => {
          onActiveChange(key);
          onOpen(key);
        }}
      >
        {props.renderRow(item, { active, selected })}
      </div>,
    );
  }

  return (
    <div
      ref={container}
      className="vlist"
      role="listbox"
      tabIndex={0}
      aria-label={props.label}
      aria-activedescendant={
        activeIndex >= 0 && activeKey !== null ? `${props.idPrefix}-${activeKey}` : undefined
      }
      data-testid={props.testId}
      onKeyDown={onKeyDown}
      onScroll={(event) => {
        const element = event.currentTarget;
        setViewport({ top: element.scrollTop, height: element.clientHeight });
      }}
    >
      <div className="vlist-spacer" style={{ height: items.length * rowHeight }}>
        {rows}
      </div>
    </div>
  );
}
