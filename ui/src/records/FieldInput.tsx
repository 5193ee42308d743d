import { useState, type ReactNode } from 'react';
import type { EntityTypeDef, FieldDef } from '@enclave/shared';
import { Icon } from '../Icon';
import { humanise } from './fields';
import { formatMoney, parseMoney } from './money';
import { ReferencePicker, type ReferenceSource } from './ReferencePicker';

/** A field's label with what matters about it: required, personal data, secret. */
export function FieldLabel({ field, htmlFor, id }: { field: FieldDef; htmlFor?: string; id?: string }) {
  return (
    <label htmlFor={htmlFor} id={id} className="field-label">
      {field.label}
      {field.required && (
        <span className="required-mark" aria-hidden="true" title="Required">
          *
        </span>
      )}
      <SensitivityBadge field={field} />
    </label>
  );
}

export function SensitivityBadge({ field }: { field: FieldDef }) {
  if (field.sensitivity === 'pii') {
    return (
      <span className="badge pii" title="Personal data: handle with care">
        PII
      </span>
    );
  }
  if (field.sensitivity === 'secret') {
    return (
      <span className="badge secret" title="Secret: hidden until revealed">
        <Icon name="lock" size={10} /> Secret
      </span>
    );
  }
  return null;
}

export interface FieldInputProps {
  field: FieldDef;
  value: string | boolean;
  error: string | undefined;
  onChange: (value: string | boolean) => void;
  /** Where a reference field finds the records it may point at. */
  references: ReferenceSource;
  entities: readonly EntityTypeDef[];
  idPrefix: string;
  disabled?: boolean;
  autoFocus?: boolean;
}

/** One schema field as the input its type calls for, labelled, with its error under it. */
export function FieldInput(props: FieldInputProps) {
  const { field, value, error, onChange, references, entities, idPrefix, disabled, autoFocus } = props;
  const [revealed, setRevealed] = useState(false);
  const id = `${idPrefix}-${field.key}`;
  const errorId = `${id}-error`;
  const common = {
    id,
    'data-testid': `field-${field.key}`,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': error ? errorId : undefined,
    'aria-required': field.required || undefined,
    disabled,
    autoFocus,
  };
  const text = typeof value === 'string' ? value : '';
  const secret = field.sensitivity === 'secret';
  let input: ReactNode;

  switch (field.type) {
    case 'boolean':
      return (
        <div className={`field checkbox-field${error ? ' invalid' : ''}`}>
          <label className="checkbox">
            <input
              {...common}
              type="checkbox"
              checked={value === true}
              onChange={(e) => onChange(e.target.checked)}
            />
            <span>
              {field.label}
              <SensitivityBadge field={field} />
            </span>
          </label>
          {error && <FieldError id={errorId} field={field} message={error} />}
        </div>
      );
    case 'longText':
      input = (
        <textarea
          {...common}
          className={secret && !revealed ? 'masked' : undefined}
          rows={4}
          maxLength={100_000}
          value={text}
          onChange={(e) => onChange(e.target.value)}
        />
      );
      break;
    case 'enum':
      input = (
        <select {...common} value={text} onChange={(e) => onChange(e.target.value)}>
          <option value="">{field.required ? 'Choose…' : '—'}</option>
          {(field.options ?? []).map((option) => (
            <option key={option} value={option}>
              {humanise(option)}
            </option>
          ))}
        </select>
      );
      break;
    case 'date':
      input = <input {...common} type="date" value={text} onChange={(e) => onChange(e.target.value)} />;
      break;
    case 'money': {
      const currency = field.currency ?? 'EUR';
      const parsed = text.trim() === '' ? null : parseMoney(text, currency);
      input = (
        <div className="money-input">
          <span className="adornment" aria-hidden="true">
            {currency}
          </span>
          <input
            {...common}
            type="text"
            inputMode="decimal"
            autoComplete="off"
            aria-label={`${field.label} in ${currency}`}
            value={text}
            onChange={(e) => onChange(e.target.value)}
          />
          {parsed?.ok && <span className="money-preview">{formatMoney(parsed.minor, currency)}</span>}
        </div>
      );
      break;
    }
    case 'number':
      input = (
        <input
          {...common}
          type="text"
          inputMode="decimal"
          autoComplete="off"
          value={text}
          onChange={(e) => onChange(e.target.value)}
        />
      );
      break;
    case 'reference':
      input = (
        <ReferencePicker
          source={references}
          refType={field.refType ?? ''}
          target={entities.find((e) => e.key === field.refType)}
          value={text}
          onChange={onChange}
          required={field.required}
          disabled={disabled}
          inputProps={{
            id,
            'data-testid': `field-${field.key}`,
            'aria-invalid': error ? true : undefined,
            'aria-describedby': error ? errorId : undefined,
            'aria-required': field.required || undefined,
            autoFocus,
          }}
        />
      );
      break;
    default: {
      const type =
        secret && !revealed
          ? 'password'
          : field.type === 'email'
            ? 'email'
            : field.type === 'phone'
              ? 'tel'
              : 'text';
      input = (
        <input
          {...common}
          type={type}
          maxLength={field.type === 'email' ? 254 : 1000}
          autoComplete={secret ? 'new-password' : 'off'}
          spellCheck={field.type === 'text' && !secret}
          value={text}
          onChange={(e) => onChange(e.target.value)}
        />
      );
    }
  }

  return (
    <div className={`field${error ? ' invalid' : ''}`}>
      <FieldLabel field={field} htmlFor={id} />
      <div className={secret ? 'secret-input' : undefined}>
        {input}
        {secret && (
          <button
            type="button"
            className="icon-button"
            aria-pressed={revealed}
            aria-label={revealed ? `Hide ${field.label}` : `Reveal ${field.label}`}
            title={revealed ? 'Hide' : 'Reveal'}
            onClick={() => setRevealed((r) => !r)}
          >
            <Icon name={revealed ? 'eyeOff' : 'eye'} size={14} />
          </button>
        )}
      </div>
      {error && <FieldError id={errorId} field={field} message={error} />}
    </div>
  );
}

function FieldError({ id, field, message }: { id: string; field: FieldDef; message: string }) {
  return (
    <p className="field-error" id={id} data-testid={`field-error-${field.key}`}>
      {message}
    </p>
  );
}
