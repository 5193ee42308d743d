import { useEffect, useId, useState, type KeyboardEvent } from 'react';
import type { EntityTypeDef } from '@enclave/shared';
import type { TitleLookup } from './fields';
import { searchTerms } from './list-view';

/** At most this many suggestions at a time: a picker is for finding one record, not browsing. */
export const MAX_REFERENCE_OPTIONS = 50;

export interface ReferenceOption {
  id: string;
  title: string;
}

/**
 * Where a reference picker finds records: the desktop app searches its replica (offline too),
 * the web console asks the server. `search` answers records of `refType` whose title has every
 * word of `text` ('' for the first ones), ordered for reading, at most `limit`.
 */
export interface ReferenceSource {
  search: (refType: string, text: string, limit: number) => Promise<readonly ReferenceOption[]>;
  /** The title of a record this source knows, for showing the picked value. */
  title: TitleLookup;
  /** Wait this long after the last key before searching (a server is asked less often); 0 by default. */
  searchDelayMs?: number;
}

export interface ReferencePickerProps {
  source: ReferenceSource;
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
    'aria-label'?: string;
    'data-testid': string;
    autoFocus?: boolean;
  };
  required: boolean;
  disabled?: boolean;
}

interface Found {
  text: string;
  options: readonly ReferenceOption[];
  failed: boolean;
}

/**
 * Picks a record of `refType` by its title: a combobox filtered as one types, at most 50
 * suggestions at a time. ↑/↓ move, Enter picks, Escape closes.
 */
export function ReferencePicker(props: ReferencePickerProps) {
  const { source, target, refType, value, onChange } = props;
  const [query, setQuery] = useState<string | null>(null);
  const [found, setFound] = useState<Found | null>(null);
  const [activeIndex, setActiveIndex] = useState(0);
  const listId = useId();

  const selectedTitle =
    value === ''
      ? ''
      : (source.title(refType, value) ??
        found?.options.find((o) => o.id === value)?.title ??
        'Unknown record');
  const open = query !== null;
  // The picked title in the box means "show me the choices", not "search for this title".
  const text = query === null || query === selectedTitle ? '' : query.trim();

  useEffect(() => {
    if (!open) return;
    let current = true;
    const run = () => {
      source.search(refType, text, MAX_REFERENCE_OPTIONS).then(
        (options) => {
          if (current) setFound({ text, options: options.slice(0, MAX_REFERENCE_OPTIONS), failed: false });
        },
        () => {
          if (current) setFound({ text, options: [], failed: true });
        },
      );
    };
    const delay = source.searchDelayMs ?? 0;
    if (delay === 0) {
      run();
      return () => {
        current = false;
      };
    }
    const timer = setTimeout(run, delay);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [open, text, refType, source]);

  // What was found for earlier words stays listed until the answer for these words comes.
  const matches = open ? (found?.options ?? []) : [];
  const pending = open && found?.text !== text;

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
      if (option && !pending) pick(option.id);
    } else if (event.key === 'Escape' && open) {
      setQuery(null);
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  };

  const activeOption = open ? matches[activeIndex] : undefined;
  let empty: string | null = null;
  if (matches.length === 0) {
    if (found?.failed && !pending) empty = 'Could not search. Try again.';
    else if (pending || found === null) empty = 'Searching…';
    else empty = 'No matches';
  }
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
          aria-busy={pending}
        >
          {empty !== null && <li className="combobox-empty">{empty}</li>}
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

/**
 * Search over records already in memory (the desktop's replica): every word in the title, in any
 * order, sorted by title. The same matching as the record lists.
 */
export function searchOptions(
  options: Iterable<ReferenceOption>,
  text: string,
  limit: number,
): ReferenceOption[] {
  const terms = searchTerms(text);
  const found = [...options].filter((o) => {
    const title = o.title.toLocaleLowerCase();
    return terms.every((t) => title.includes(t));
  });
  found.sort((a, b) => a.title.localeCompare(b.title, undefined, { numeric: true, sensitivity: 'base' }));
  return found.slice(0, limit);
}
