import { performance } from 'node:perf_hooks';
import type { WebSocket } from 'ws';
import { SyncCloseCode, type SyncCloseReason } from '@enclave/shared';
import type { SyncLimits } from '../config';
import type { DevicePresence } from '../devices/device-presence';
import type { AuthenticatedDevice, DevicesService } from '../devices/devices.service';
import type { ChangeFeed, WorkspaceChange } from '../engine/change-feed';
import type { RequestMeta } from '../engine/context';
import type { CommandEngine } from '../engine/engine';
import { AppError } from '../engine/errors';
import type { Logger } from '../logger';
import type { Store } from '../store/types';
import { SyncConnection } from './sync-connection';

/** Events after which a connected device's standing or rights may have changed. */
const STANDING_EVENTS = new Set([
  'device.revoke',
  'member.remove',
  'member.setRoles',
  'role.put',
  'role.remove',
]);

export interface SyncHubDeps {
  store: Store;
  engine: CommandEngine;
  devices: DevicesService;
  feed: ChangeFeed;
  logger: Logger;
  limits: SyncLimits;
  /** Told of every connection that opens and closes, and of how far each device synced. */
  presence: DevicePresence;
}

/**
 * Every live sync connection of this process, by workspace. It fans committed changes out to
 * the devices allowed to read them, and closes a device's connections the moment the device is
 * revoked, its owner removed, or its workspace deleted.
 */
export class SyncHub {
  private readonly byWorkspace = new Map<string, Set<SyncConnection>>();
  private readonly unsubscribe: () => void;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly catchUp: NodeJS.Timeout;

  constructor(private readonly deps: SyncHubDeps) {
    this.unsubscribe = deps.feed.subscribe((change) => this.onChange(change));
    this.heartbeat = setInterval(() => this.each((c) => c.ping()), deps.limits.heartbeatMs);
    this.heartbeat.unref();
    this.catchUp = setInterval(() => this.each((c) => c.catchUp()), 250);
    this.catchUp.unref();
  }

  /** Takes over an upgraded socket whose device has been authenticated. */
  async accept(socket: WebSocket, auth: AuthenticatedDevice, meta: RequestMeta): Promise<void> {
    const perms = await this.deps.engine.permissionsOf(auth.ws, auth.owner.userId);
    const { seq: headSeq } = await auth.ws.head();
    // The client may have gone while the reads above ran; its close event has then passed.
    if (socket.readyState !== socket.OPEN) {
      socket.terminate();
      return;
    }
    const connection = new SyncConnection(socket, auth, perms, meta, this.deps, (c) => this.forget(c));
    let set = this.byWorkspace.get(connection.workspaceId);
    if (!set) this.byWorkspace.set(connection.workspaceId, (set = new Set()));
    set.add(connection);
    // Online until the socket itself has closed, not merely until our side has sent its close.
    const { presence } = this.deps;
    presence.connected(connection.workspaceId, connection.deviceId);
    socket.once('close', () => presence.disconnected(connection.workspaceId, connection.deviceId));
    connection.start(headSeq);
    // The device may have been revoked between its authentication and now.
    await this.recheck(connection.workspaceId, null);
  }

  connectionCount(): number {
    let n = 0;
    for (const set of this.byWorkspace.values()) n += set.size;
    return n;
  }

  /** A read-only view of a workspace's live connections: how much each has queued, whether it fell behind. */
  connectionsOf(workspaceId: string): { deviceId: string; bufferedAmount: number; behind: boolean }[] {
    return [...(this.byWorkspace.get(workspaceId) ?? [])].map((c) => ({
      deviceId: c.deviceId,
      bufferedAmount: c.bufferedAmount,
      behind: c.behind,
    }));
  }

  closeAll(
    code: number = SyncCloseCode.serverShutdown,
    reason: SyncCloseReason = { code: 'server_shutdown' },
  ): void {
    this.each((c) => c.close(code, reason));
  }

  stop(): void {
    this.unsubscribe();
    clearInterval(this.heartbeat);
    clearInterval(this.catchUp);
    this.closeAll();
  }

  private each(fn: (connection: SyncConnection) => void): void {
    for (const set of this.byWorkspace.values()) for (const c of [...set]) fn(c);
  }

  private forget(connection: SyncConnection): void {
    const set = this.byWorkspace.get(connection.workspaceId);
    set?.delete(connection);
    if (set?.size === 0) this.byWorkspace.delete(connection.workspaceId);
  }

  private onChange(change: WorkspaceChange): void {
    // The revocation's clock starts at its commit, which is when the feed hears of it.
    const committedAt = performance.now();
    const connections = this.byWorkspace.get(change.workspaceId);
    if (!connections) return;
    if (change.events.some((e) => e.action === 'workspace.delete')) {
      for (const c of [...connections]) this.revoke(c, true, committedAt);
      return;
    }
    const last = change.events.at(-1);
    if (change.events.some((e) => STANDING_EVENTS.has(e.action))) {
      // Standing first, then the records: a revoked device must not receive this change.
      void this.recheck(change.workspaceId, committedAt).then(() => {
        if (last)
          for (const c of this.byWorkspace.get(change.workspaceId) ?? []) c.publish(change.records, last.seq);
      });
      return;
    }
    if (!last) return;
    for (const c of connections) c.publish(change.records, last.seq);
  }

  /** Closes a revoked device's connection; `committedAt` (of the revocation) starts the close-time measurement. */
  private revoke(connection: SyncConnection, wipe: boolean, committedAt: number | null): void {
    if (committedAt !== null)
      this.deps.presence.revoking(connection.workspaceId, connection.deviceId, committedAt);
    connection.revoke(wipe);
  }

  /**
   * Re-reads the standing and rights of every device connected to a workspace. `committedAt`: the
   * commit that may have revoked some (null when checking a new connection, which is no revocation).
   */
  private async recheck(workspaceId: string, committedAt: number | null): Promise<void> {
    const connections = this.byWorkspace.get(workspaceId);
    if (!connections) return;
    try {
      const ws = await this.deps.store.workspace(workspaceId);
      for (const c of [...connections]) {
        if (!ws) {
          this.revoke(c, true, committedAt);
          continue;
        }
        try {
          const owner = await this.deps.devices.standingOf(ws, c.deviceId);
          c.setPermissions(await this.deps.engine.permissionsOf(ws, owner.userId));
        } catch (error) {
          if (!(error instanceof AppError) || error.code !== 'device_revoked') throw error;
          this.revoke(c, (error.details as { wipe?: boolean } | undefined)?.wipe === true, committedAt);
        }
      }
    } catch (err) {
      this.deps.logger.error({ err, workspaceId }, 'sync standing check failed');
    }
  }
}
