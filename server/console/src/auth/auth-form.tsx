import { useId, type InputHTMLAttributes, type ReactNode, type Ref } from 'react';
import { PASSWORD_MIN } from '@enclave/shared';
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

/** A one-time link opened without its token, or cut short: how to get the whole of it. */
export function IncompleteLink({ action, link = 'This link' }: { action: ReactNode; link?: string }) {
  return (
    <LinkRefused action={action}>
      {link} is incomplete. Open it again from the email, or copy the whole address, token and all.
    </LinkRefused>
  );
}

/** The page after a form has done its work: what happened, what comes next, and where to go. */
export function DonePanel({
  title,
  lead,
  leadTestId,
  children,
  action,
  testId,
}: {
  title: string;
  lead: ReactNode;
  leadTestId?: string;
  children?: ReactNode;
  action: ReactNode;
  testId: string;
}) {
  return (
    <CenteredScreen icon="check" title={title} testId={testId}>
      <p className="lead" data-testid={leadTestId}>
        {lead}
      </p>
      {children}
      <div className="actions">{action}</div>
    </CenteredScreen>
  );
}

/** The words under a new password: the server's length rule, and advice where there is room. */
const NEW_PASSWORD_HINT = `At least ${PASSWORD_MIN} characters.`;
const NEW_PASSWORD_ADVICE = `${NEW_PASSWORD_HINT} A sentence you remember works well.`;

/** A new password, with the length rule under it and the server's issue for `field` in its place. */
export function NewPasswordField({
  label,
  issueLabel = 'The password',
  field,
  error,
  value,
  onValue,
  advice = false,
  testId,
}: {
  label: string;
  issueLabel?: string;
  /** The body field the server names in its issues. */
  field: string;
  error: ApiError | null;
  value: string;
  onValue: (value: string) => void;
  /** Say how to pick one, for a first password. */
  advice?: boolean;
  testId: string;
}) {
  return (
    <Field
      label={label}
      type="password"
      autoComplete="new-password"
      required
      value={value}
      onChange={(event) => onValue(event.target.value)}
      error={fieldIssue(error, field, issueLabel)}
      hint={advice ? NEW_PASSWORD_ADVICE : NEW_PASSWORD_HINT}
      testId={testId}
    />
  );
}

/** The new password typed again; a typo in a reset would lock the person out again. */
export function RepeatPasswordField({
  value,
  onValue,
  mismatch,
  testId,
}: {
  value: string;
  onValue: (value: string) => void;
  mismatch: boolean;
  testId: string;
}) {
  return (
    <Field
      label="New password again"
      type="password"
      autoComplete="new-password"
      required
      value={value}
      onChange={(event) => onValue(event.target.value)}
      error={mismatch ? 'The two passwords are not the same. Type the new password again.' : undefined}
      testId={testId}
    />
  );
}

/** The fields of a new account: name, email and a first password; `testIds` prefixes each id. */
export function NewAccountFields({
  values,
  onChange,
  error,
  emailHint,
  testIds,
}: {
  values: { name: string; email: string; password: string };
  onChange: (field: 'name' | 'email' | 'password', value: string) => void;
  error: ApiError | null;
  emailHint?: ReactNode;
  testIds: string;
}) {
  return (
    <>
      <Field
        label="Your name"
        autoComplete="name"
        required
        value={values.name}
        onChange={(event) => onChange('name', event.target.value)}
        error={fieldIssue(error, 'name', 'Your name')}
        testId={`${testIds}-name`}
      />
      <Field
        label="Email"
        type="email"
        autoComplete="username"
        required
        value={values.email}
        onChange={(event) => onChange('email', event.target.value)}
        error={fieldIssue(error, 'email', 'Email')}
        hint={emailHint}
        testId={`${testIds}-email`}
      />
      <NewPasswordField
        label="Password"
        field="password"
        error={error}
        value={values.password}
        onValue={(value) => onChange('password', value)}
        advice
        testId={`${testIds}-password`}
      />
    </>
  );
}

/** Whether a refusal is about the link itself rather than what the person typed. */
export function isLinkRefusal(error: ApiError | null, codes: readonly string[]): boolean {
  if (!error) return false;
  return codes.includes(error.code) || error.issueAt('body.token') !== undefined;
}
