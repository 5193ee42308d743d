import { useId, useState, type SyntheticEvent } from 'react';
import type { EntityTypeDef, FieldDef, FilterOp } from '@enclave/shared';
import {
  humanise,
  Icon,
  parseMoney,
  parseNumber,
  ReferencePicker,
  type ReferenceSource,
  type TitleLookup,
} from '@enclave/ui';
import { filterFields, filterWords, MAX_FILTERS, opLabel, opsFor, parseFilter } from './record-query';

/**
 * The list's filters: each a chip that says it in words ("Status is Paid") with a button to
 * remove it, and a row to add one — a field (the indexed ones), a comparison its type allows, and
 * a value in the input its type calls for. The value goes to the server as it stores it: amounts
 * in minor units, dates as YYYY-MM-DD, references as the record's id.
 */
export function RecordFilters({
  entity,
  entities,
  filters,
  titles,
  references,
  onChange,
}: {
  entity: EntityTypeDef;
  entities: readonly EntityTypeDef[];
  filters: readonly string[];
  titles: TitleLookup;
  references: ReferenceSource;
  onChange: (filters: string[]) => void;
}) {
  const fields = filterFields(entity);
  const parsed = filters.map((raw) => ({ raw, filter: parseFilter(entity, raw) }));
  const [adding, setAdding] = useState(false);
  if (fields.length === 0) return null;
  return (
    <div className="record-filters" data-testid="record-filters">
      {parsed.length > 0 && (
        <ul className="filter-chips" aria-label="Filters">
          {parsed.map(({ raw, filter }, index) => {
            const words = filter ? filterWords(filter, titles) : 'A filter this list cannot apply';
            return (
              <li key={`${raw}-${String(index)}`} className="filter-chip" data-testid="filter-chip">
                <span>{words}</span>
                <button
                  type="button"
                  className="icon-button small"
                  aria-label={`Remove filter: ${words}`}
                  title="Remove filter"
                  onClick={() => onChange(filters.filter((_, i) => i !== index))}
                >
                  <Icon name="x" size={12} />
                </button>
              </li>
            );
          })}
        </ul>
      )}
      {adding ? (
        <FilterEditor
          entity={entity}
          entities={entities}
          fields={fields}
          references={references}
          onAdd={(filter) => {
            onChange([...filters, filter]);
            setAdding(false);
          }}
          onCancel={() => setAdding(false)}
        />
      ) : (
        filters.length < MAX_FILTERS && (
          <button
            type="button"
            className="button small"
            data-testid="filter-add"
            onClick={() => setAdding(true)}
          >
            <Icon name="plus" size={12} /> Add filter
          </button>
        )
      )}
    </div>
  );
}

function FilterEditor({
  entity,
  entities,
  fields,
  references,
  onAdd,
  onCancel,
}: {
  entity: EntityTypeDef;
  entities: readonly EntityTypeDef[];
  fields: FieldDef[];
  references: ReferenceSource;
  onAdd: (filter: string) => void;
  onCancel: () => void;
}) {
  const [fieldKey, setFieldKey] = useState(fields[0]?.key ?? '');
  const field = fields.find((f) => f.key === fieldKey) ?? fields[0];
  const [op, setOp] = useState<FilterOp>(field ? (opsFor(field)[0] ?? 'eq') : 'eq');
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();
  if (!field) return null;
  const ops = opsFor(field);

  const chooseField = (key: string) => {
    const next = fields.find((f) => f.key === key);
    setFieldKey(key);
    setOp(next ? (opsFor(next)[0] ?? 'eq') : 'eq');
    setValue(next?.type === 'boolean' ? 'true' : '');
    setProblem(null);
  };

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    const stored = storedValue(field, value);
    if (!stored.ok) {
      setProblem(stored.message);
      return;
    }
    onAdd(`${field.key}:${op}:${stored.value}`);
  };

  const valueProps = {
    id: `${id}-value`,
    'aria-invalid': problem ? true : undefined,
    'aria-describedby': problem ? `${id}-problem` : undefined,
    'data-testid': 'filter-value',
  };
  let input;
  switch (field.type) {
    case 'enum':
      input = (
        <select {...valueProps} value={value} onChange={(e) => setValue(e.target.value)}>
          <option value="">Choose…</option>
          {(field.options ?? []).map((option) => (
            <option key={option} value={option}>
              {humanise(option)}
            </option>
          ))}
        </select>
      );
      break;
    case 'boolean':
      input = (
        <select {...valueProps} value={value || 'true'} onChange={(e) => setValue(e.target.value)}>
          <option value="true">Yes</option>
          <option value="false">No</option>
        </select>
      );
      break;
    case 'date':
      input = <input {...valueProps} type="date" value={value} onChange={(e) => setValue(e.target.value)} />;
      break;
    case 'reference':
      input = (
        <ReferencePicker
          source={references}
          refType={field.refType ?? ''}
          target={entities.find((e) => e.key === field.refType)}
          value={value}
          onChange={setValue}
          required
          inputProps={valueProps}
        />
      );
      break;
    default:
      input = (
        <input
          {...valueProps}
          type="text"
          inputMode={field.type === 'money' || field.type === 'number' ? 'decimal' : undefined}
          autoComplete="off"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
      );
  }

  return (
    <form
      className="filter-editor"
      onSubmit={submit}
      noValidate
      aria-label={`Add a filter to ${entity.pluralLabel.toLowerCase()}`}
    >
      <label className="visually-hidden" htmlFor={`${id}-field`}>
        Field
      </label>
      <select
        id={`${id}-field`}
        data-testid="filter-field"
        value={field.key}
        onChange={(e) => chooseField(e.target.value)}
      >
        {fields.map((f) => (
          <option key={f.key} value={f.key}>
            {f.label}
          </option>
        ))}
      </select>
      <label className="visually-hidden" htmlFor={`${id}-op`}>
        Comparison
      </label>
      <select
        id={`${id}-op`}
        data-testid="filter-op"
        value={op}
        onChange={(e) => setOp(e.target.value as FilterOp)}
        disabled={ops.length === 1}
      >
        {ops.map((o) => (
          <option key={o} value={o}>
            {opLabel(field, o)}
          </option>
        ))}
      </select>
      <label className="visually-hidden" htmlFor={`${id}-value`}>
        Value
      </label>
      {input}
      <button type="submit" className="button small primary" data-testid="filter-apply">
        Apply
      </button>
      <button type="button" className="button small" onClick={onCancel}>
        Cancel
      </button>
      {problem && (
        <p className="field-error" id={`${id}-problem`} data-testid="filter-problem">
          {problem}
        </p>
      )}
    </form>
  );
}

type Stored = { ok: true; value: string } | { ok: false; message: string };

/** The typed value as the server compares it, or why it cannot be one. */
function storedValue(field: FieldDef, typed: string): Stored {
  const text = field.type === 'boolean' ? typed || 'true' : typed.trim();
  if (text === '') {
    return {
      ok: false,
      message:
        field.type === 'reference'
          ? 'Choose a record.'
          : field.type === 'enum'
            ? 'Choose a value.'
            : 'Enter a value.',
    };
  }
  if (field.type === 'money') {
    const parsed = parseMoney(text, field.currency ?? 'EUR');
    return parsed.ok ? { ok: true, value: String(parsed.minor) } : parsed;
  }
  if (field.type === 'number') {
    const parsed = parseNumber(text);
    return parsed === null
      ? { ok: false, message: 'Enter a number, like 12 or 3.5.' }
      : { ok: true, value: String(parsed) };
  }
  return { ok: true, value: text };
}
