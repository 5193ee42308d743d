import { afterEach, describe, expect, it, vi } from 'vitest';
import { DevicePresence, PROGRESS_EVERY_MS, type PresenceChange } from './device-presence';

const WS = '0191f0a0-0000-7000-8000-0000000000aa';
const OTHER_WS = '0191f0a0-0000-7000-8000-0000000000bb';
const DEV = '0191f0a0-0000-7000-8000-000000000010';

function tracked(): { presence: DevicePresence; changes: PresenceChange[]; clock: { now: number } } {
  const clock = { now: 1000 };
  const presence = new DevicePresence(() => clock.now);
  const changes: PresenceChange[] = [];
  presence.subscribe((c) => changes.push(c));
  return { presence, changes, clock };
}

describe('DevicePresence', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('knows nothing of a device that never connected', () => {
    const { presence } = tracked();
    expect(presence.of(WS, DEV)).toEqual({ online: false, lastSyncedSeq: null, revokeClosedMs: null });
  });

  it('is online from the first connection until the last one closes, and says so once each way', () => {
    const { presence, changes } = tracked();
    presence.connected(WS, DEV);
    presence.connected(WS, DEV);
    expect(presence.of(WS, DEV).online).toBe(true);
    presence.disconnected(WS, DEV);
    expect(presence.of(WS, DEV).online).toBe(true);
    presence.disconnected(WS, DEV);
    expect(presence.of(WS, DEV).online).toBe(false);
    // A close without an open (a connection set up twice, or a stray event) changes nothing.
    presence.disconnected(WS, DEV);
    expect(changes).toEqual([
      { workspaceId: WS, deviceId: DEV, kind: 'online' },
      { workspaceId: WS, deviceId: DEV, kind: 'offline' },
    ]);
    expect(presence.of(OTHER_WS, DEV).online).toBe(false);
  });

  it('measures a revocation from its commit to the close of the last connection', () => {
    const { presence, changes, clock } = tracked();
    presence.connected(WS, DEV);
    presence.connected(WS, DEV);
    presence.revoking(WS, DEV, 1000.4);
    clock.now = 1010;
    presence.disconnected(WS, DEV);
    expect(presence.of(WS, DEV).revokeClosedMs).toBeNull();
    clock.now = 1042;
    presence.disconnected(WS, DEV);
    expect(presence.of(WS, DEV)).toEqual({ online: false, lastSyncedSeq: null, revokeClosedMs: 42 });
    expect(changes.at(-1)).toEqual({ workspaceId: WS, deviceId: DEV, kind: 'offline' });
  });

  it('measures nothing for a device revoked while offline, and keeps the first start of a second revocation', () => {
    const { presence, clock } = tracked();
    presence.revoking(WS, DEV, 1000);
    expect(presence.of(WS, DEV).revokeClosedMs).toBeNull();

    presence.connected(WS, DEV);
    presence.revoking(WS, DEV, 1000);
    presence.revoking(WS, DEV, 1500);
    clock.now = 1600;
    presence.disconnected(WS, DEV);
    expect(presence.of(WS, DEV).revokeClosedMs).toBe(600);
    // Offline now: a later revocation (adding a wipe) has nothing to close and keeps the measurement.
    presence.revoking(WS, DEV, 2000);
    expect(presence.of(WS, DEV).revokeClosedMs).toBe(600);
  });

  it('keeps the last synced sequence after the device goes offline, and tells progress at most once a second', () => {
    vi.useFakeTimers();
    const clock = { now: 0 };
    const presence = new DevicePresence(() => clock.now);
    const changes: PresenceChange[] = [];
    presence.subscribe((c) => changes.push(c));
    presence.connected(WS, DEV);
    changes.length = 0;

    presence.progress(WS, DEV, 10);
    vi.advanceTimersByTime(0);
    expect(changes).toEqual([{ workspaceId: WS, deviceId: DEV, kind: 'progress' }]);
    clock.now = 100;
    presence.progress(WS, DEV, 20);
    presence.progress(WS, DEV, 30);
    expect(presence.of(WS, DEV).lastSyncedSeq).toBe(30);
    vi.advanceTimersByTime(PROGRESS_EVERY_MS - 200);
    expect(changes).toHaveLength(1);
    clock.now = PROGRESS_EVERY_MS;
    vi.advanceTimersByTime(200);
    expect(changes).toHaveLength(2);
    // The same sequence again is no progress.
    presence.progress(WS, DEV, 30);
    vi.advanceTimersByTime(5 * PROGRESS_EVERY_MS);
    expect(changes).toHaveLength(2);

    presence.disconnected(WS, DEV);
    expect(presence.of(WS, DEV)).toEqual({ online: false, lastSyncedSeq: 30, revokeClosedMs: null });
    presence.stop();
  });
});
