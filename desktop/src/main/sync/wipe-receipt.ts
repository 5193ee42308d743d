import { createPrivateKey, sign } from 'node:crypto';
import { wipeReceiptMessage, type ErrorCode, type WipeReceiptBody } from '@enclave/shared';
import { backoffDelay, type BackoffOptions } from './backoff';
import type { DeviceCredential } from './credential';
import { SyncError } from './errors';
import { requestNoContent, type FetchImpl } from './http';

export const WIPE_RECEIPT_PATH = '/api/v1/devices/wipe-receipt';

/** A signed receipt and where it goes. Nothing in it is secret, so it may wait in the state file. */
export interface PendingWipeReceipt {
  serverUrl: string;
  body: WipeReceiptBody;
}

/**
 * The device key, taken from the credential before a wipe deletes it, for one signature once the
 * wipe is done. It is kept as DER bytes, overwritten as soon as the receipt is signed (or the wipe
 * fails); the PEM string it came from cannot be overwritten in JavaScript, and is only dropped.
 */
export class WipeReceiptSigner {
  private der: Buffer | null;

  private constructor(
    private readonly target: Pick<DeviceCredential, 'serverUrl' | 'workspaceId' | 'deviceId'>,
    der: Buffer,
  ) {
    this.der = der;
  }

  static from(credential: DeviceCredential): WipeReceiptSigner {
    const der = createPrivateKey(credential.privateKey).export({ format: 'der', type: 'pkcs8' });
    const { serverUrl, workspaceId, deviceId } = credential;
    return new WipeReceiptSigner({ serverUrl, workspaceId, deviceId }, der);
  }

  /** Signs that the wipe finished at `wipedAt`, then forgets the key: a signer signs once. */
  sign(wipedAt: string): PendingWipeReceipt {
    const der = this.der;
    if (der === null) throw new Error('the wipe receipt was signed already');
    try {
      const { serverUrl, workspaceId, deviceId } = this.target;
      const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
      const message = wipeReceiptMessage(workspaceId, deviceId, wipedAt);
      const signature = sign(null, Buffer.from(message, 'utf8'), key).toString('base64url');
      return { serverUrl, body: { workspaceId, deviceId, wipedAt, signature } };
    } finally {
      this.discard();
    }
  }

  /** Overwrites the key bytes; safe to call more than once. */
  discard(): void {
    this.der?.fill(0);
    this.der = null;
  }
}

export type WipeReceiptOutcome =
  | { kind: 'accepted'; attempts: number }
  /** The server answered and said no; asking again would get the same answer. */
  | { kind: 'refused'; code: ErrorCode; status: number | null; attempts: number }
  /** No answer (or only "try later") after every attempt. */
  | { kind: 'unreachable'; attempts: number }
  | { kind: 'cancelled' };

export interface WipeReceiptDelivery {
  /** Tries in all, the first included. */
  attempts?: number;
  backoff?: BackoffOptions;
  /** Per attempt: a server that accepts the connection and never answers must not hold a try for ever. */
  requestTimeoutMs?: number;
}

export const DEFAULT_WIPE_RECEIPT_DELIVERY: Required<WipeReceiptDelivery> = {
  attempts: 6,
  backoff: { baseMs: 1000, maxMs: 30_000 },
  requestTimeoutMs: 15_000,
};

/**
 * Sends a receipt, retrying with backoff while the server cannot be reached or asks to wait
 * (network failure, 429, 5xx). A refusal is final. Never throws for the server's or the network's
 * sake; `signal` cancels the pauses and the request in flight.
 */
export async function deliverWipeReceipt(
  receipt: PendingWipeReceipt,
  options: WipeReceiptDelivery & { fetch?: FetchImpl; signal?: AbortSignal } = {},
): Promise<WipeReceiptOutcome> {
  const defaults = DEFAULT_WIPE_RECEIPT_DELIVERY;
  const attempts = options.attempts ?? defaults.attempts;
  const backoff = options.backoff ?? defaults.backoff;
  const requestTimeoutMs = options.requestTimeoutMs ?? defaults.requestTimeoutMs;
  const { signal } = options;
  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) return { kind: 'cancelled' };
    const timeout = AbortSignal.timeout(requestTimeoutMs);
    try {
      await requestNoContent({
        method: 'POST',
        serverUrl: receipt.serverUrl,
        path: WIPE_RECEIPT_PATH,
        body: receipt.body,
        fetch: options.fetch,
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
      return { kind: 'accepted', attempts: attempt + 1 };
    } catch (error) {
      if (signal?.aborted) return { kind: 'cancelled' };
      if (!(error instanceof SyncError)) throw error;
      if (!worthRetrying(error)) {
        return { kind: 'refused', code: error.code, status: error.status, attempts: attempt + 1 };
      }
      if (attempt + 1 >= attempts) return { kind: 'unreachable', attempts: attempt + 1 };
    }
    await pause(backoffDelay(attempt, backoff), signal);
  }
}

function worthRetrying(error: SyncError): boolean {
  return error.network || error.status === 429 || (error.status !== null && error.status >= 500);
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
