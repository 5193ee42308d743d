import type { Device, DevicePlatform, Pairing } from '@enclave/shared';

export const PLATFORM_NAMES: Record<DevicePlatform, string> = {
  windows: 'Windows',
  macos: 'macOS',
  linux: 'Linux',
  other: 'Other',
};

const later = (a: string | null, b: string | null): string | null => {
  if (a === null) return b;
  if (b === null) return a;
  return Date.parse(a) >= Date.parse(b) ? a : b;
};

/**
 * A device as the page last heard of it, merged with a newer-looking copy. The HTTP answer to a
 * revocation and the live events about the same device can arrive in either order, and a list
 * fetched on reconnect can be answered after an event it does not include: what only ever moves
 * forward (revoked, wipe asked and confirmed, the close time, last seen, synced sequence) is never
 * taken back by an older copy, so the row does not flicker back to "Closing…" or "Not confirmed".
 */
export function mergeDevice(known: Device | undefined, incoming: Device): Device {
  if (!known) return incoming;
  const revokedAt = later(known.revokedAt, incoming.revokedAt);
  const revokeClosedMs = incoming.revokeClosedMs ?? known.revokeClosedMs;
  const merged: Device = {
    ...incoming,
    status: revokedAt === null ? 'active' : 'revoked',
    revokedAt,
    wipe: known.wipe || incoming.wipe,
    wipeConfirmedAt: incoming.wipeConfirmedAt ?? known.wipeConfirmedAt,
    revokeClosedMs,
    lastSeenAt: later(known.lastSeenAt, incoming.lastSeenAt),
    lastSyncedSeq:
      known.lastSyncedSeq === null || incoming.lastSyncedSeq === null
        ? (incoming.lastSyncedSeq ?? known.lastSyncedSeq)
        : Math.max(known.lastSyncedSeq, incoming.lastSyncedSeq),
  };
  // A revoked device whose connection was seen closing cannot come back online: it is refused.
  if (merged.revokedAt !== null && merged.revokeClosedMs !== null) merged.online = false;
  return merged;
}

export function upsertDevice(list: readonly Device[], incoming: Device): Device[] {
  const at = list.findIndex((d) => d.id === incoming.id);
  if (at < 0) return [...list, incoming];
  const next = [...list];
  next[at] = mergeDevice(list[at], incoming);
  return next;
}

/**
 * A freshly fetched list, keeping what the page already learned live that the answer may predate:
 * newer facts of a row, and rows it heard of while the list was being fetched.
 */
export function mergeDeviceList(known: readonly Device[] | undefined, fetched: readonly Device[]): Device[] {
  if (!known) return [...fetched];
  const byId = new Map(known.map((d) => [d.id, d]));
  const ids = new Set(fetched.map((d) => d.id));
  return [...fetched.map((d) => mergeDevice(byId.get(d.id), d)), ...known.filter((d) => !ids.has(d.id))];
}

const PAIRING_FINAL = new Set<Pairing['status']>(['used', 'cancelled']);

/** A pairing that was used or cancelled stays so, whatever an older copy says. */
export function upsertPairing(list: readonly Pairing[], incoming: Pairing): Pairing[] {
  const at = list.findIndex((p) => p.id === incoming.id);
  if (at < 0) return [...list, incoming];
  const known = list[at] as Pairing;
  const next = [...list];
  next[at] = PAIRING_FINAL.has(known.status) && !PAIRING_FINAL.has(incoming.status) ? known : incoming;
  return next;
}

export function mergePairingList(
  known: readonly Pairing[] | undefined,
  fetched: readonly Pairing[],
): Pairing[] {
  if (!known) return [...fetched];
  return known.reduce<Pairing[]>((list, p) => upsertPairing(list, p), [...fetched]);
}

/** What a pairing is as of `now`: the server says `expired` only when asked after the fact. */
export function pairingState(pairing: Pairing, now: number): Pairing['status'] {
  if (pairing.status === 'pending' && Date.parse(pairing.expiresAt) <= now) return 'expired';
  return pairing.status;
}

/** The pairing code as the server made it, in groups of four for reading aloud: `7XKQ-M2PA-…`. */
export function codeGroups(code: string): string[] {
  const symbols = code.toUpperCase().replace(/[^0-9A-Z]/g, '');
  return symbols.match(/.{1,4}/g) ?? [];
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Time left until `expiresAt`: `14:32`, `1:02:03`, or `6 days 23 h` past a day; null once it passed. */
export function timeLeft(expiresAt: string, now: number): string | null {
  const ms = Date.parse(expiresAt) - now;
  if (!(ms > 0)) return null;
  const total = Math.ceil(ms / 1000);
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (days > 0) return `${days} ${days === 1 ? 'day' : 'days'} ${hours} h`;
  if (hours > 0) return `${hours}:${pad(minutes)}:${pad(seconds)}`;
  return `${minutes}:${pad(seconds)}`;
}

/** The server address a pairing link names, for typing into the app by hand. */
export function serverOfLink(link: string): string | null {
  if (!URL.canParse(link)) return null;
  return new URL(link).searchParams.get('server');
}
