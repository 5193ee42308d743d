import {
  ErrorCode,
  issuesIn,
  type ErrorIssue,
  type IpcEvent,
  type IpcEventChannel,
  type IpcInvokeChannel,
  type IpcRequest,
  type IpcResponse,
  type IpcResult,
} from '@enclave/shared';
import type { EnclaveBridge, ReplicaChannel } from '../../common/bridge';

/** A refusal from main, in the one error shape (`shared/src/errors.ts`). */
export class BridgeError extends Error {
  override readonly name = 'BridgeError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /** The field issues of a `validation_failed` refusal (paths and messages), or none. */
  get issues(): ErrorIssue[] {
    return issuesIn(this.code, this.details);
  }
}

/** The renderer's view of main: typed calls that answer a value or throw a `BridgeError`. */
export interface BridgeClient {
  call<C extends IpcInvokeChannel>(channel: C, request: IpcRequest<C>): Promise<IpcResponse<C>>;
  onEvent<E extends IpcEventChannel>(event: E, listener: (payload: IpcEvent<E>) => void): () => void;
  readonly replica: ReplicaChannel;
}

/** Anything thrown that is not a `BridgeError` becomes one, so screens handle a single shape. */
export function asBridgeError(error: unknown): BridgeError {
  if (error instanceof BridgeError) return error;
  return new BridgeError(
    'internal',
    'Something went wrong in the app. Try again; if it persists, restart Enclave.',
  );
}

export function createBridgeClient(bridge: EnclaveBridge): BridgeClient {
  return {
    async call(channel, request) {
      // The table ties each channel to its request and answer; TypeScript cannot follow the index.
      const invoke = bridge.call[channel] as (request: unknown) => Promise<IpcResult>;
      let result: IpcResult;
      try {
        result = await invoke(request);
      } catch {
        // The preload answers every call with an IpcResult; a throw means the channel itself broke.
        throw new BridgeError('internal', 'The app did not answer. Restart Enclave if this persists.');
      }
      if (result.ok) return result.value as IpcResponse<typeof channel>;
      const code = ErrorCode.safeParse(result.error.code);
      throw new BridgeError(
        code.success ? code.data : 'internal',
        result.error.message,
        result.error.details,
      );
    },
    onEvent(event, listener) {
      return bridge.on(event, listener);
    },
    replica: bridge.replica,
  };
}
