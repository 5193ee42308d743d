import { ErrorNote, type UiError } from '../ErrorNote';
import { Icon } from '../Icon';
import { aiRefusalWords } from './words';

/**
 * A refusal of an AI request as a whole (AI switched off, no model set up, allowance spent, the
 * model unavailable or its plan unusable): the server's own words, then what the person can do.
 * Any other failure shows as an ordinary error note.
 */
export function AiRefusalNote({
  error,
  canManage,
  testId = 'ai-refusal-note',
}: {
  error: UiError & { details?: unknown };
  /** An owner or admin: told to change the setting themselves rather than whom to ask. */
  canManage: boolean;
  testId?: string;
}) {
  const words = aiRefusalWords(error.code, canManage, error.details);
  if (!words) return <ErrorNote error={error} title="The request did not go through" testId={testId} />;
  return (
    <div className="notice warning ai-refusal-note" role="alert" data-testid={testId} data-code={error.code}>
      <Icon name={error.code === 'ai_disabled' || error.code === 'ai_not_configured' ? 'lock' : 'alert'} />
      <div>
        <strong>{words.title}</strong>
        <p data-testid="ai-refusal-message">{error.message}</p>
        {words.howToEnable && words.howToEnable !== error.message && (
          <p data-testid="ai-refusal-how">{words.howToEnable}</p>
        )}
        <p data-testid="ai-refusal-advice">{words.advice}</p>
      </div>
    </div>
  );
}
