import { randomBytes } from 'node:crypto';

interface Pending {
  deviceId: string;
  workspaceId: string;
  expiresAt: number;
}

/**
 * Renewal challenges: random, single use, short-lived. Kept in memory: a challenge lives for a
 * minute, so a restart costs a device one retry. (Several server processes behind one balancer
 * need a shared store for these; see docs/architecture.md.)
 */
export class ChallengeStore {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly capacity = 10_000,
  ) {}

  issue(workspaceId: string, deviceId: string, now = Date.now()): { challenge: string; expiresAt: Date } {
    this.sweep(now);
    // At capacity the oldest challenge goes: a flood can only cost its victims a retry.
    if (this.pending.size >= this.capacity) {
      const oldest = this.pending.keys().next();
      if (!oldest.done) this.pending.delete(oldest.value);
    }
    const challenge = randomBytes(32).toString('base64url');
    const expiresAt = now + this.ttlMs;
    this.pending.set(challenge, { deviceId, workspaceId, expiresAt });
    return { challenge, expiresAt: new Date(expiresAt) };
  }

  /** True once for a live challenge issued to this device; the challenge is gone either way. */
  consume(challenge: string, workspaceId: string, deviceId: string, now = Date.now()): boolean {
    const entry = this.pending.get(challenge);
    this.pending.delete(challenge);
    return (
      entry !== undefined &&
      entry.expiresAt > now &&
      entry.deviceId === deviceId &&
      entry.workspaceId === workspaceId
    );
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.pending) {
      if (entry.expiresAt > now) break;
      this.pending.delete(key);
    }
  }
}
