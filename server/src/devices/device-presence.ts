import { performance } from 'node:perf_hooks';

/** What this process knows of a device's sync connections. Nothing of it is stored. */
export interface DevicePresenceInfo {
  /** It has an open sync connection to this process. */
  online: boolean;
  /** The last workspace sequence its sync connection was sent or acknowledged (null: not since start). */
  lastSyncedSeq: number | null;
  /** From the revocation's commit to the close of its last open sync connection (null: it had none). */
  revokeClosedMs: number | null;
}

export type PresenceChangeKind = 'online' | 'offline' | 'progress';

export interface PresenceChange {
  workspaceId: string;
  deviceId: string;
  kind: PresenceChangeKind;
}

/** The read side, for whoever presents a device (routes, the live channel). */
export interface DevicePresenceSource {
  of(workspaceId: string, deviceId: string): DevicePresenceInfo;
  subscribe(listener: (change: PresenceChange) => void): () => void;
}

/** Progress is told at most this often per device: a syncing device moves its sequence with every page. */
export const PROGRESS_EVERY_MS = 1000;

interface Entry {
  open: number;
  lastSyncedSeq: number | null;
  revokeClosedMs: number | null;
  /** `performance.now()` of the revocation commit, while its connections are closing. */
  revokingSince: number | null;
  progressTimer: NodeJS.Timeout | null;
  progressToldAt: number;
}

const OFFLINE: DevicePresenceInfo = { online: false, lastSyncedSeq: null, revokeClosedMs: null };

/**
 * Which devices have a sync connection open in this process, how far each has synced, and how
 * long a revoked device's connections took to close. The sync hub reports into it; the device
 * presenter and the live channel read it. It exists before the hub (which is made once the HTTP
 * server is), so the app can be handed it at construction.
 *
 * It is memory only: after a restart every device is offline with no sequence or close time until
 * it connects (or is revoked) again. Several server processes would each know their own
 * connections only.
 */
export class DevicePresence implements DevicePresenceSource {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(change: PresenceChange) => void>();

  constructor(private readonly clock: () => number = () => performance.now()) {}

  of(workspaceId: string, deviceId: string): DevicePresenceInfo {
    const entry = this.entries.get(key(workspaceId, deviceId));
    if (!entry) return OFFLINE;
    return {
      online: entry.open > 0,
      lastSyncedSeq: entry.lastSyncedSeq,
      revokeClosedMs: entry.revokeClosedMs,
    };
  }

  subscribe(listener: (change: PresenceChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A sync connection of the device opened. */
  connected(workspaceId: string, deviceId: string): void {
    const entry = this.entry(workspaceId, deviceId);
    entry.open += 1;
    if (entry.open === 1) this.emit(workspaceId, deviceId, 'online');
  }

  /** A sync connection of the device closed (its socket, not merely our side of it). */
  disconnected(workspaceId: string, deviceId: string): void {
    const entry = this.entries.get(key(workspaceId, deviceId));
    if (!entry || entry.open === 0) return;
    entry.open -= 1;
    if (entry.open > 0) return;
    if (entry.revokingSince !== null) {
      entry.revokeClosedMs = Math.max(0, Math.round(this.clock() - entry.revokingSince));
      entry.revokingSince = null;
    }
    this.emit(workspaceId, deviceId, 'offline');
  }

  /**
   * The device was revoked by a commit at `committedAt` (a `performance.now()` time) and its
   * connections are being closed: the time to the last close is measured. A device with no open
   * connection has nothing to measure, and a second revocation (adding a wipe) while the first
   * is still closing keeps the first one's start.
   */
  revoking(workspaceId: string, deviceId: string, committedAt: number): void {
    const entry = this.entries.get(key(workspaceId, deviceId));
    if (!entry || entry.open === 0 || entry.revokingSince !== null) return;
    entry.revokingSince = committedAt;
    entry.revokeClosedMs = null;
  }

  /** The device's connection was sent, or acknowledged, everything up to `seq`. */
  progress(workspaceId: string, deviceId: string, seq: number): void {
    const entry = this.entry(workspaceId, deviceId);
    if (entry.lastSyncedSeq === seq) return;
    entry.lastSyncedSeq = seq;
    if (entry.progressTimer) return;
    const wait = Math.max(0, entry.progressToldAt + PROGRESS_EVERY_MS - this.clock());
    entry.progressTimer = setTimeout(() => {
      entry.progressTimer = null;
      entry.progressToldAt = this.clock();
      this.emit(workspaceId, deviceId, 'progress');
    }, wait);
    entry.progressTimer.unref();
  }

  stop(): void {
    for (const entry of this.entries.values()) {
      if (entry.progressTimer) clearTimeout(entry.progressTimer);
      entry.progressTimer = null;
    }
    this.listeners.clear();
  }

  private entry(workspaceId: string, deviceId: string): Entry {
    const k = key(workspaceId, deviceId);
    let entry = this.entries.get(k);
    if (!entry) {
      entry = {
        open: 0,
        lastSyncedSeq: null,
        revokeClosedMs: null,
        revokingSince: null,
        progressTimer: null,
        progressToldAt: -Infinity,
      };
      this.entries.set(k, entry);
    }
    return entry;
  }

  private emit(workspaceId: string, deviceId: string, kind: PresenceChangeKind): void {
    for (const listener of [...this.listeners]) listener({ workspaceId, deviceId, kind });
  }
}

function key(workspaceId: string, deviceId: string): string {
  return `${workspaceId}/${deviceId}`;
}
