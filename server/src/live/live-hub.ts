import type { WebSocket } from 'ws';
import {
  LiveCloseCode,
  type AuditEvent,
  type Device,
  type LiveCloseReason,
  type LiveEvent,
  type Pairing,
} from '@enclave/shared';
import type { SessionsEnded, SessionService } from '../auth/sessions.service';
import type { DevicePresenceSource, PresenceChange } from '../devices/device-presence';
import { pairingView, presentDevice } from '../devices/device-view';
import type { ChangeFeed, WorkspaceChange } from '../engine/change-feed';
import type { CommandEngine } from '../engine/engine';
import type { Logger } from '../logger';
import { can, canSeeDevice, canSeePairing, type Permissions } from '../policy/policy';
import type { DeviceRow, Store, WorkspaceStore } from '../store/types';

/** Events after which a member's standing or rights in the workspace may have changed. */
const STANDING_EVENTS = new Set(['member.remove', 'member.setRoles', 'role.put', 'role.remove']);

export interface LiveHubDeps {
  store: Store;
  engine: CommandEngine;
  feed: ChangeFeed;
  presence: DevicePresenceSource;
  sessions: SessionService;
  logger: Logger;
  /** Ping this often; a channel that has not answered the previous ping is cut. */
  heartbeatMs: number;
  /** How often every channel's session is read again (expiry, and deletions this process was not told of). */
  sessionCheckMs: number;
  /** A browser with more than this queued unread is cut off rather than buffered for. */
  maxBufferedBytes: number;
}

export interface LiveSubscriber {
  workspaceId: string;
  userId: string;
  sessionId: string;
  perms: Permissions;
}

const FORBIDDEN: LiveCloseReason = { code: 'forbidden' };
const UNAUTHORIZED: LiveCloseReason = { code: 'unauthorized' };

/** One browser's live channel on one workspace. */
class LiveChannel {
  alive = true;
  closed = false;

  constructor(
    private readonly socket: WebSocket,
    readonly workspaceId: string,
    readonly userId: string,
    readonly sessionId: string,
    public perms: Permissions,
    private readonly maxBufferedBytes: number,
    private readonly onGone: (channel: LiveChannel) => void,
  ) {
    socket.on('close', () => this.gone());
    socket.on('pong', () => {
      this.alive = true;
    });
    // Read-only: whatever the browser sends ends the channel (changes go through the HTTP API).
    socket.on('message', () => this.close(LiveCloseCode.readOnly, { code: 'bad_request' }));
  }

  get open(): boolean {
    return !this.closed && this.socket.readyState === this.socket.OPEN;
  }

  send(event: LiveEvent): void {
    if (!this.open) return;
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      // A tab that does not read must not grow the server's memory; it reconnects and reloads.
      this.close(LiveCloseCode.tooSlow, { code: 'rate_limited' });
      return;
    }
    this.socket.send(JSON.stringify(event));
  }

  ping(): void {
    if (!this.alive) {
      this.socket.terminate();
      return;
    }
    this.alive = false;
    this.socket.ping();
  }

  close(code: number, reason: LiveCloseReason): void {
    if (this.closed) return;
    this.socket.close(code, JSON.stringify(reason));
    // A browser that does not answer the close handshake is cut off rather than waited for.
    setTimeout(() => this.socket.terminate(), 1000).unref();
    this.gone();
  }

  private gone(): void {
    if (this.closed) return;
    this.closed = true;
    this.onGone(this);
  }
}

/**
 * Every live channel of this process, by workspace. It turns committed changes (the change feed)
 * and device presence into events, and sends each to the channels whose user may see it under
 * the same rules as the HTTP API. A channel ends when its session ends (4401) or its user's
 * membership does (4403).
 *
 * The work of one workspace runs in order, one step at a time, so that events arrive in the order
 * their causes happened (a device's revocation before its connection's close).
 */
export class LiveHub {
  private readonly byWorkspace = new Map<string, Set<LiveChannel>>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly unsubscribe: (() => void)[];
  private readonly heartbeat: NodeJS.Timeout;
  private readonly sessionCheck: NodeJS.Timeout;

  constructor(private readonly deps: LiveHubDeps) {
    this.unsubscribe = [
      deps.feed.subscribe((change) => this.onChange(change)),
      deps.presence.subscribe((change) => this.onPresence(change)),
      deps.sessions.onEnded((ended) => this.onSessionsEnded(ended)),
    ];
    this.heartbeat = setInterval(() => this.each((c) => c.ping()), deps.heartbeatMs);
    this.heartbeat.unref();
    this.sessionCheck = setInterval(() => void this.checkSessions(), deps.sessionCheckMs);
    this.sessionCheck.unref();
  }

  /** Takes over an upgraded socket whose session and membership were checked at the upgrade. */
  accept(socket: WebSocket, subscriber: LiveSubscriber): void {
    const channel = new LiveChannel(
      socket,
      subscriber.workspaceId,
      subscriber.userId,
      subscriber.sessionId,
      subscriber.perms,
      this.deps.maxBufferedBytes,
      (c) => this.forget(c),
    );
    if (!channel.open) return;
    let set = this.byWorkspace.get(channel.workspaceId);
    if (!set) this.byWorkspace.set(channel.workspaceId, (set = new Set()));
    set.add(channel);
    channel.send({ type: 'hello', workspaceId: channel.workspaceId });
    // The session or the membership may have ended between the upgrade's checks and now.
    this.enqueue(channel.workspaceId, async () => {
      if (!(await this.deps.sessions.isLive(channel.userId, channel.sessionId))) {
        channel.close(LiveCloseCode.sessionEnded, UNAUTHORIZED);
        return;
      }
      await this.recheck(channel.workspaceId, [channel]);
    });
  }

  channelCount(): number {
    let n = 0;
    for (const set of this.byWorkspace.values()) n += set.size;
    return n;
  }

  closeAll(code: number, reason: LiveCloseReason): void {
    this.each((c) => c.close(code, reason));
  }

  /** Server shutdown: every channel is told (1001) and nothing more is sent. */
  stop(): void {
    for (const off of this.unsubscribe) off();
    clearInterval(this.heartbeat);
    clearInterval(this.sessionCheck);
    this.closeAll(LiveCloseCode.serverShutdown, { code: 'server_shutdown' });
  }

  private each(fn: (channel: LiveChannel) => void): void {
    for (const set of this.byWorkspace.values()) for (const c of [...set]) fn(c);
  }

  private forget(channel: LiveChannel): void {
    const set = this.byWorkspace.get(channel.workspaceId);
    set?.delete(channel);
    if (set?.size === 0) this.byWorkspace.delete(channel.workspaceId);
  }

  /** Runs `task` after the workspace's earlier tasks; a failure is logged and does not stop the queue. */
  private enqueue(workspaceId: string, task: () => Promise<void>): void {
    const previous = this.queues.get(workspaceId) ?? Promise.resolve();
    const next = previous
      .then(task)
      .catch((err: unknown) => this.deps.logger.error({ err, workspaceId }, 'live channel update failed'));
    this.queues.set(workspaceId, next);
    void next.then(() => {
      if (this.queues.get(workspaceId) === next) this.queues.delete(workspaceId);
    });
  }

  private channelsOf(workspaceId: string): LiveChannel[] {
    return [...(this.byWorkspace.get(workspaceId) ?? [])].filter((c) => c.open);
  }

  private onChange(change: WorkspaceChange): void {
    if (!this.byWorkspace.has(change.workspaceId)) return;
    const { workspaceId, events } = change;
    if (events.some((e) => e.action === 'workspace.delete')) {
      // Nothing of a deleted workspace is sent, not even its deletion's event.
      for (const c of this.channelsOf(workspaceId)) c.close(LiveCloseCode.forbidden, FORBIDDEN);
      return;
    }
    const standing = events.some((e) => STANDING_EVENTS.has(e.action));
    this.enqueue(workspaceId, async () => {
      // Standing first: a member removed by this change must not receive it.
      if (standing) await this.recheck(workspaceId, this.channelsOf(workspaceId));
      if (this.channelsOf(workspaceId).length === 0) return;
      const ws = await this.deps.store.workspace(workspaceId);
      if (!ws) {
        for (const c of this.channelsOf(workspaceId)) c.close(LiveCloseCode.forbidden, FORBIDDEN);
        return;
      }
      for (const event of events) await this.publishEvent(ws, event);
    });
  }

  /** The device and pairing events an audit event implies, then the audit event itself. */
  private async publishEvent(ws: WorkspaceStore, event: AuditEvent): Promise<void> {
    const deviceIds: string[] = [];
    let pairingId: string | null = null;
    if (event.target.kind === 'device' && event.target.id) deviceIds.push(event.target.id);
    if (event.target.kind === 'pairing' && event.target.id) pairingId = event.target.id;
    if (event.action === 'device.pair' && typeof event.details?.pairingId === 'string') {
      pairingId = event.details.pairingId;
    }
    // Removing a member revokes their devices in the same commit.
    const revoked = event.details?.revokedDevices;
    if (Array.isArray(revoked)) for (const id of revoked) if (typeof id === 'string') deviceIds.push(id);

    const devices = new Map<string, DeviceRow>();
    for (const id of deviceIds) {
      const row = await ws.getDevice(id);
      if (row) devices.set(id, row);
    }
    if (pairingId !== null) {
      const row = await ws.getPairing(pairingId);
      if (row) {
        const pairing = pairingView(row, new Date().toISOString());
        const paired = row.deviceId !== null ? (devices.get(row.deviceId) ?? null) : null;
        this.sendPairing(ws.workspaceId, pairing, paired);
      }
    }
    for (const row of devices.values()) this.sendDevice(ws.workspaceId, row);
    for (const c of this.channelsOf(ws.workspaceId)) {
      if (can(c.perms, 'audit.read')) c.send({ type: 'audit', event });
    }
  }

  private sendDevice(workspaceId: string, row: DeviceRow): void {
    let device: Device | null = null;
    for (const c of this.channelsOf(workspaceId)) {
      if (!canSeeDevice(c.perms, c.userId, row)) continue;
      device ??= presentDevice(this.deps.presence, workspaceId, row);
      c.send({ type: 'device', device });
    }
  }

  private sendPairing(workspaceId: string, pairing: Pairing, pairedRow: DeviceRow | null): void {
    const device = pairedRow ? presentDevice(this.deps.presence, workspaceId, pairedRow) : null;
    for (const c of this.channelsOf(workspaceId)) {
      if (!canSeePairing(c.perms, c.userId, pairing)) continue;
      const visible = device !== null && pairedRow !== null && canSeeDevice(c.perms, c.userId, pairedRow);
      c.send({ type: 'pairing', pairing, device: visible ? device : null });
    }
  }

  private onPresence(change: PresenceChange): void {
    if (!this.byWorkspace.has(change.workspaceId)) return;
    this.enqueue(change.workspaceId, async () => {
      if (this.channelsOf(change.workspaceId).length === 0) return;
      const ws = await this.deps.store.workspace(change.workspaceId);
      const row = ws ? await ws.getDevice(change.deviceId) : null;
      if (row) this.sendDevice(change.workspaceId, row);
    });
  }

  /** Re-reads each channel's membership and rights: a member no longer there is closed with 4403. */
  private async recheck(workspaceId: string, channels: LiveChannel[]): Promise<void> {
    if (channels.length === 0) return;
    const ws = await this.deps.store.workspace(workspaceId);
    for (const c of channels) {
      if (!c.open) continue;
      const member = ws ? await ws.getMember(c.userId) : null;
      if (!ws || !member) {
        c.close(LiveCloseCode.forbidden, FORBIDDEN);
        continue;
      }
      c.perms = await this.deps.engine.permissionsOf(ws, c.userId);
    }
  }

  private onSessionsEnded(ended: SessionsEnded): void {
    this.each((c) => {
      const ends =
        ended.kind === 'session'
          ? c.sessionId === ended.sessionId
          : c.userId === ended.userId && c.sessionId !== ended.exceptSessionId;
      if (ends) c.close(LiveCloseCode.sessionEnded, UNAUTHORIZED);
    });
  }

  /** Sessions also end by expiry, and by deletions this process was not told of (another process). */
  private async checkSessions(): Promise<void> {
    const channels: LiveChannel[] = [];
    this.each((c) => channels.push(c));
    const live = new Map<string, Promise<boolean>>();
    for (const c of channels) {
      const key = `${c.userId}/${c.sessionId}`;
      let check = live.get(key);
      if (!check) live.set(key, (check = this.deps.sessions.isLive(c.userId, c.sessionId)));
      try {
        if (!(await check)) c.close(LiveCloseCode.sessionEnded, UNAUTHORIZED);
      } catch (err) {
        this.deps.logger.error({ err }, 'live channel session check failed');
      }
    }
  }
}
