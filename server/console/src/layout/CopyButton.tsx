import { useEffect, useRef, useState } from 'react';
import { Icon } from '@enclave/ui';

type CopyState = 'idle' | 'copied' | 'failed';

/**
 * Copies `text` to the clipboard, and says so next to the button (announced to screen readers).
 * Where the browser refuses (no secure context, a denied permission), it says how to copy by
 * hand instead of failing silently: the text it belongs to is always shown and selectable.
 */
export function CopyButton({
  text,
  label = 'Copy',
  what,
  testId,
}: {
  text: string;
  label?: string;
  /** What is copied, for the accessible name: "Copy the pairing code". */
  what: string;
  testId?: string;
}) {
  const [state, setState] = useState<CopyState>('idle');
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  const copy = async () => {
    if (timer.current) clearTimeout(timer.current);
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
    timer.current = setTimeout(() => setState('idle'), 4000);
  };
  return (
    <span className="copy-button">
      <button
        type="button"
        className="button small"
        onClick={() => void copy()}
        aria-label={`${label} ${what}`}
        data-testid={testId}
      >
        <Icon name={state === 'copied' ? 'check' : 'link'} size={13} />
        {state === 'copied' ? 'Copied' : label}
      </button>
      <span className="copy-status" role="status">
        {state === 'copied' && <span className="visually-hidden">Copied {what}</span>}
        {state === 'failed' && 'The browser did not allow copying: select the text and press Ctrl+C (⌘C).'}
      </span>
    </span>
  );
}
