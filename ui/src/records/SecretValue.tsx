import { useState } from 'react';
import { Icon } from '../Icon';

/**
 * A secret field's value, masked until asked for. It masks again when the value changes (another
 * record is shown in the same place), so revealing one record does not reveal the next.
 */
export function SecretValue({ value, label }: { value: string; label: string }) {
  const [revealedFor, setRevealedFor] = useState<string | null>(null);
  const revealed = revealedFor === value;
  if (value === '') return <span className="empty-value">—</span>;
  return (
    <span className="secret-value">
      <span className={revealed ? 'mono' : 'mono masked-dots'}>{revealed ? value : '••••••••'}</span>
      <button
        type="button"
        className="icon-button small"
        aria-pressed={revealed}
        aria-label={revealed ? `Hide ${label}` : `Reveal ${label}`}
        title={revealed ? 'Hide' : 'Reveal'}
        onClick={() => setRevealedFor(revealed ? null : value)}
      >
        <Icon name={revealed ? 'eyeOff' : 'eye'} size={14} />
      </button>
    </span>
  );
}
