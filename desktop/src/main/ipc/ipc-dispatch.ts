import type { z } from 'zod';
import {
  ipcInvoke,
  isIpcInvokeChannel,
  issuesOf,
  type IpcInvokeChannel,
  type IpcResult,
} from '@enclave/shared';
import { errorPayloadOf } from '../app/app-error';

/** One handler per channel of `ipcInvoke`, taking the parsed request. */
export type IpcHandlers = {
  [C in IpcInvokeChannel]: (
    request: z.output<(typeof ipcInvoke)[C]['request']>,
  ) => Promise<z.input<(typeof ipcInvoke)[C]['response']>>;
};

/**
 * Runs one call from the renderer: an unknown channel or a request that does not match the
 * channel's schema is refused before any handler runs; every outcome, failures included, is an
 * `IpcResult` in the one error shape.
 */
export async function dispatchInvoke(
  handlers: IpcHandlers,
  channel: string,
  payload: unknown,
  onUnexpected?: (error: unknown) => void,
): Promise<IpcResult> {
  if (!isIpcInvokeChannel(channel)) {
    return { ok: false, error: { code: 'bad_request', message: 'Unknown request' } };
  }
  const parsed = ipcInvoke[channel].request.safeParse(payload);
  if (!parsed.success) {
    return {
      ok: false,
      error: {
        code: 'validation_failed',
        message: 'The request is not valid',
        details: issuesOf(parsed.error),
      },
    };
  }
  try {
    // The table ties each channel to its handler; TypeScript cannot follow the index through a union.
    const handler = handlers[channel] as (request: unknown) => Promise<unknown>;
    return { ok: true, value: await handler(parsed.data) };
  } catch (error) {
    return { ok: false, error: errorPayloadOf(error, onUnexpected) };
  }
}
