import { Icon } from './Icon';

/** What every face of the product shows of a failure: the one error shape's code and message. */
export interface UiError {
  code: string;
  message: string;
}

/** A failure in words, announced to screen readers; `data-code` carries the error code for tests. */
export function ErrorNote({
  error,
  title,
  message,
  testId,
}: {
  error: UiError;
  title?: string;
  message?: string;
  testId?: string;
}) {
  return (
    <div className="error-note" role="alert" data-testid={testId} data-code={error.code}>
      <Icon name="alert" />
      <div>
        {title && <strong>{title}</strong>}
        <p>{message ?? error.message}</p>
      </div>
    </div>
  );
}
