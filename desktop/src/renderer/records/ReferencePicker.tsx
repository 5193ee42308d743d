import { useId, useMemo, useState, type KeyboardEvent } from 'react';
import type { EntityTypeDef } from '@enclave/shared';
import { useObservable } from '../ui/observable-hooks';
import type { WorkspaceSession } from '../workspace/session';
import { recordTitle, searchTerms } from '@enclave/ui';

const MAX_OPTIONS = 50;

export interface ReferencePickerProps {
  session: WorkspaceSession;
  /** The entity type the field points at (undefined if the schema lost it). */
  target: EntityTypeDef | undefined;
  refType: string;
  value: string;
  onChange: (id: string) => void;
  inputProps: {
    id: string;
    'aria-invalid'?: boolean;
    'aria-describedby'?: string;
    'aria-required'?: boolean;
    'data-testid': string;
    autoFocus?: boolean;
  };
  required: boolean;
  disabled?: boolean;
}

/**
 * Picks a record of `refType` by its title: a combobox over the local replica (works offline),
 * filtered as one types, at most 50 suggestions at a time. ↑/↓ move, Enter picks, Escape closes.
 */
export function ReferencePicker(props: ReferencePickerProps) {
  const { session, target, value, onChange } = props;
  const rows = useObservable(useMemo(() => session.recordsById(props.refType), [session, props.refType]));
  const [query, setQuery] = useState<string | null>(null);
  const [activeIndex, setActiveIndex] = useState(0);
  const listId = useId();

  const options = useMemo(() => {
    const all = [...(rows?.values() ?? [])].map((row) => ({
      id: row.id,
      title: recordTitle(target, row.data),
    }));
    return all.sort((a, b) =>
      a.title.localeCompare(b.title, undefined, { numeric: true, sensitivity: 'base' }),
    );
  }, [rows, target]);

  const selected = options.find((option) => option.id === value);
  const selectedTitle = value === '' ? '' : (selected?.title ?? (rows ? 'Unknown record' : ''));
  const open = query !== null;

  const matches = useMemo(() => {
    if (query === null) return [];
    const terms = query === selectedTitle ? [] : searchTerms(query);
    const found =
      terms.length === 0
        ? options
        : options.filter((o) => terms.every((t) => o.title.toLowerCase().includes(t)));
    return found.slice(0, MAX_OPTIONS);
  }, [query, options, selectedTitle]);

  const pick = (id: string) => {
    onChange(id);
    setQuery(null);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'ArrowDown') {
      if (!open) setQuery(selectedTitle);
      setActiveIndex((i) => Math.min(i + 1, Math.max(0, matches.length - 1)));
    } else if (event.key === 'ArrowUp') {
      setActiveIndex((i) => Math.max(0, i - 1));
    } else if (event.key === 'Enter' && open) {
      const option = matches[activeIndex];
      if (option) pick(option.id);
    } else if (event.key === 'Escape' && open) {
      setQuery(null);
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  };

  const activeOption = open ? matches[activeIndex] : undefined;
  return (
    <div className="combobox">
      <input
        {...props.inputProps}
        type="text"
        role="combobox"
        aria-expanded={open}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={activeOption ? `${listId}-${activeOption.id}` : undefined}
        autoComplete="off"
        placeholder={target ? `Search ${target.pluralLabel.toLowerCase()}…` : 'Search…'}
        value={open ? query : selectedTitle}
        disabled={props.disabled}
        onFocus={(event) => {
          setQuery(selectedTitle);
          setActiveIndex(0);
          event.currentTarget.select();
        }}
        onBlur={() => setQuery(null)}
        onChange={(event) => {
          setQuery(event.target.value);
          setActiveIndex(0);
          if (event.target.value === '' && !props.required) onChange('');
        }}
        onKeyDown={onKeyDown}
      />
      {open && (
        <ul
          className="combobox-list"
          id={listId}
          role="listbox"
          aria-label={target?.pluralLabel ?? 'Records'}
        >
          {matches.length === 0 && <li className="combobox-empty">No matches</li>}
          {matches.map((option, index) => (
            <li
              key={option.id}
              id={`${listId}-${option.id}`}
              role="option"
              aria-selected={option.id === value}
              className={index === activeIndex ? 'active' : undefined}
              data-testid="reference-option"
              data-record-id={option.id}
              // Before the input's blur closes the list.
              onMouseDown={(event) => {
                event.preventDefault();
                pick(option.id);
              }}
            >
              {option.title}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
