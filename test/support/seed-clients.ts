import type { TestClient } from '../../server/src/test-support/test-client';

/**
 * Creates `count` clients through the API, with ids `client-000`… and names `Client 000`…, so a
 * test can find each by id on the server and by name in the app. Throws if the server refuses one.
 */
export async function seedClients(owner: TestClient, workspaceId: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const n = String(i).padStart(3, '0');
    const res = await owner.post(`/api/v1/workspaces/${workspaceId}/records`, {
      id: `client-${n}`,
      type: 'client',
      data: { name: `Client ${n}`, status: 'lead' },
    });
    if (res.status !== 201) throw new Error(`creating client-${n} failed: ${String(res.status)} ${res.text}`);
  }
}
