import { useId, type InputHTMLAttributes, type ReactNode, type Ref } from 'react';
import { CenteredScreen, ErrorNote } from '@enclave/ui';
import type { ApiError } from '../api/client';
import './auth.css';

/**
 * One labelled input with its hint and its error, tied together for screen readers: the error
 * replaces the hint as the input's description, and the input is marked invalid.
 */
export function Field({
  label,
  error,
  hint,
  testId,
  ref,
  ...input
}: {
  ref?: Ref<HTMLInputElement>;
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  testId: string;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'id'>) {
  const id = useId();
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined;
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <input
        type="text"
        {...input}
        ref={ref}
        id={id}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        data-testid={testId}
      />
      {error ? (
        <p className="field-error" id={`${id}-error`} data-testid={`${testId}-error`}>
          {error}
        </p>
      ) : (
        hint && (
          <p className="hint" id={`${id}-hint`}>
            {hint}
          </p>
        )
      )}
    </div>
  );
}

/**
 * The server's words for one field of the body (`validation_failed` issues carry the path, e.g.
 * `body.password`), as a sentence that names the field. Email issues are zod's generic words, so
 * they are said plainly instead.
 */
export function fieldIssue(error: ApiError | null, field: string, label: string): string | undefined {
  const message = error?.issueAt(`body.${field}`);
  if (!message) return undefined;
  if (/email/i.test(field)) return 'Enter a whole email address, like name@example.com.';
  return `${label} ${message}.`;
}

/** Words for the refusals every form can meet; a page adds its own by code. */
const COMMON: Partial<Record<string, string>> = {
  rate_limited: 'Too many attempts from here. Wait a few minutes, then try again.',
  internal: 'Something went wrong on the server; nothing was changed. Try again in a moment.',
  storage_full: 'The server’s disk is full, so nothing could be saved. Tell the server’s operator.',
};

/**
 * A form's failure at its top: for field issues, a pointer to the fields (each says what is
 * wrong next to it); otherwise the page's words for the code, or the server's own message.
 */
export function FormError({
  error,
  messages = {},
  fields = [],
  testId,
}: {
  error: ApiError | null;
  messages?: Partial<Record<string, string>>;
  /** The body fields this form shows issues for next to them. */
  fields?: readonly string[];
  testId: string;
}) {
  if (!error) return null;
  const shownByField = fields.some((field) => error.issueAt(`body.${field}`));
  const message = shownByField
    ? 'Check the fields marked below.'
    : (messages[error.code] ?? COMMON[error.code] ?? error.message);
  return <ErrorNote error={error} message={message} testId={testId} />;
}

/**
 * The page shown for a one-time link that cannot be used (expired, used already, cut short by a
 * mail program): the same words on every page, and what to do instead.
 */
export function LinkRefused({ children, action }: { children: ReactNode; action: ReactNode }) {
  return (
    <CenteredScreen icon="link" tone="warning" title="This link cannot be used" testId="link-refused">
      <p className="lead" role="alert">
        {children}
      </p>
      <div className="actions">{action}</div>
    </CenteredScreen>
  );
}

/** Whether a refusal is about the link itself rather than what the person typed. */
export function isLinkRefusal(error: ApiError | null, codes: readonly string[]): boolean {
  if (!error) return false;
  return codes.includes(error.code) || error.issueAt('body.token') !== undefined;
}
