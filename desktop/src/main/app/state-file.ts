import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { WipeReceiptBody } from '@enclave/shared';

/**
 * A wipe receipt the server has not acknowledged yet: signed once the wipe was done, with the key
 * the wipe then left only in memory. A signature, not a key: it can only say that this wipe happened.
 */
const PendingWipeReceipt = z.object({ serverUrl: z.url({ protocol: /^https?$/ }), body: WipeReceiptBody });

/**
 * What the app remembers outside the keychain: which replica file is current, and that the device
 * was revoked (so the app keeps saying so after a restart), with the wipe receipt still to be sent
 * if the server could not be told. Nothing in it is secret — the replica key and the device
 * credential live in the keychain only.
 */
export const AppStateFile = z.object({
  version: z.literal(1),
  replicaName: z
    .string()
    .regex(/^replica-[0-9a-f]{16}$/)
    .nullable(),
  revoked: z
    .object({
      wiped: z.boolean(),
      at: z.string(),
      // Absent in files written before wipe receipts: nothing to send.
      receipt: PendingWipeReceipt.nullable().default(null),
    })
    .nullable(),
});
export type AppStateFile = z.infer<typeof AppStateFile>;

export const EMPTY_STATE: AppStateFile = { version: 1, replicaName: null, revoked: null };

export const newReplicaName = (): string => `replica-${randomBytes(8).toString('hex')}`;

export class StateFile {
  private readonly path: string;

  constructor(private readonly dataDir: string) {
    this.path = join(dataDir, 'state.json');
  }

  /** A missing or unreadable file reads as the empty state: the keychain decides the rest. */
  read(): AppStateFile {
    try {
      const parsed = AppStateFile.safeParse(JSON.parse(readFileSync(this.path, 'utf8')));
      return parsed.success ? parsed.data : EMPTY_STATE;
    } catch {
      return EMPTY_STATE;
    }
  }

  /** Written to a temporary file and renamed over, so a crash never leaves half a file. */
  write(state: AppStateFile): void {
    mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(temporary, JSON.stringify(state), { mode: 0o600 });
    renameSync(temporary, this.path);
  }

  clear(): void {
    rmSync(this.path, { force: true });
  }
}
