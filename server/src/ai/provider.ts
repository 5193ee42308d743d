import Anthropic from '@anthropic-ai/sdk';
import type { AiProviderConfig } from '../config';
import { AppError } from '../engine/errors';

export type ModelRequest = Anthropic.MessageCreateParamsNonStreaming;
export type ModelMessage = Anthropic.Message;

/** How to turn AI on when the server has no provider: said by every AI feature and the settings page. */
export const HOW_TO_ENABLE =
  'The server has no model provider: its operator sets ANTHROPIC_API_KEY (and optionally ANTHROPIC_BASE_URL and ENCLAVE_AI_MODEL) in its environment and restarts it.';

/** The model provider, or its absence. The only code that talks to the model. */
export interface AiProvider {
  readonly configured: boolean;
  readonly model: string | null;
  complete(request: Omit<ModelRequest, 'model'>): Promise<ModelMessage>;
}

export function createProvider(config: AiProviderConfig): AiProvider {
  if (!config.apiKey) {
    return {
      configured: false,
      model: null,
      complete: () => Promise.reject(new AppError('ai_not_configured', HOW_TO_ENABLE)),
    };
  }
  const client = new Anthropic({
    apiKey: config.apiKey,
    baseURL: config.baseUrl ?? undefined,
    timeout: config.timeoutMs,
    maxRetries: config.maxRetries,
  });
  return {
    configured: true,
    model: config.model,
    async complete(request) {
      try {
        // Not streamed: the SDK retries a plain request on 429, 529 and connection errors (it
        // does not retry a stream), and the pipeline needs the whole plan before it acts anyway.
        return await client.messages.create({ ...request, model: config.model });
      } catch (error) {
        throw unavailable(error);
      }
    },
  };
}

/** A provider failure, said as what happened; nothing was changed by the request. */
function unavailable(error: unknown): AppError {
  if (error instanceof Anthropic.APIConnectionTimeoutError) {
    return new AppError(
      'ai_unavailable',
      'The model did not answer in time; nothing was changed. Try again.',
    );
  }
  if (error instanceof Anthropic.RateLimitError) {
    return new AppError(
      'ai_unavailable',
      'The model provider is rate limiting this server; nothing was changed. Try again shortly.',
    );
  }
  if (error instanceof Anthropic.APIError && error.status === 529) {
    return new AppError(
      'ai_unavailable',
      'The model provider is overloaded; nothing was changed. Try again shortly.',
    );
  }
  if (error instanceof Anthropic.AuthenticationError || error instanceof Anthropic.PermissionDeniedError) {
    return new AppError(
      'ai_unavailable',
      "The model provider refused the server's key; its operator must check ANTHROPIC_API_KEY.",
    );
  }
  if (error instanceof Anthropic.APIConnectionError) {
    return new AppError('ai_unavailable', 'The model provider could not be reached; nothing was changed.');
  }
  if (error instanceof Anthropic.APIError) {
    return new AppError(
      'ai_unavailable',
      `The model provider failed (status ${String(error.status)}); nothing was changed.`,
    );
  }
  return new AppError('ai_unavailable', 'The model call failed; nothing was changed.');
}
