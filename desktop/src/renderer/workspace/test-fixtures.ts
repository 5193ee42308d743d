import type { DeviceSelf, EntityTypeDef } from '@enclave/shared';

/** For tests: what `device:self` answers for a paired Linux laptop, in the given workspace. */
export function deviceSelf(workspaceId: string, entityTypes: EntityTypeDef[] = []): DeviceSelf {
  return {
    device: {
      id: '00000000-0000-4000-8000-000000000001',
      name: 'Work laptop',
      platform: 'linux',
      appVersion: '0.1.0',
      ownerId: '00000000-0000-4000-8000-000000000002',
      pairedBy: '00000000-0000-4000-8000-000000000002',
      pairedAt: '2024-05-01T10:00:00.000Z',
      lastSeenAt: null,
      lastIp: null,
      status: 'active',
      revokedAt: null,
      wipe: false,
      keyFingerprint: '3f2a 9c01 77d4 e0b5 1a2b 3c4d 5e6f 7081',
      online: true,
      lastSyncedSeq: null,
      revokeClosedMs: null,
      wipeConfirmedAt: null,
    },
    workspace: { id: workspaceId, name: 'Acme' },
    schema: { version: 1, entityTypes },
  };
}
