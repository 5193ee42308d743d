import { randomUUID } from 'node:crypto';
import {
  DEFAULT_AI_SETTINGS,
  normalisePairingCode,
  pairingProofMessage,
  routes,
  type AuditVerifyResult,
  type RouteContract,
} from '@enclave/shared';
import type { TestClient, TestResponse } from '../../server/src/test-support/test-client';
import { buildProposal } from '../../server/src/ai/proposals';
import { expectError } from '../../server/src/test-support/expect-error';
import {
  createPairing,
  newDeviceKeys,
  redeem,
  type TestDevice,
} from '../../server/src/test-support/test-devices';

export { expectError };
import {
  addMember,
  createUser,
  createWorkspace,
  uniqueEmail,
  type TestServer,
} from '../../server/src/test-support/test-server';

/** The kinds of identifier a path can carry, named after the collection segment before them. */
export type IdKind =
  | 'workspaceId'
  | 'recordId'
  | 'entityKey'
  | 'roleKey'
  | 'userId'
  | 'invitationId'
  | 'eventId'
  | 'sessionId'
  | 'pairingId'
  | 'deviceId'
  | 'proposalId';

const PARAM_KIND: Record<string, IdKind> = {
  workspaces: 'workspaceId',
  records: 'recordId',
  'entity-types': 'entityKey',
  roles: 'roleKey',
  members: 'userId',
  invitations: 'invitationId',
  audit: 'eventId',
  sessions: 'sessionId',
  pairings: 'pairingId',
  devices: 'deviceId',
  proposals: 'proposalId',
};

/**
 * The ids a request names, and the values some bodies must carry: the workspace's name (to confirm
 * a deletion) is not an id, and names nothing outside its own workspace.
 */
export type Ids = Record<IdKind, string> & { invitationToken: string; workspaceName: string };

export interface ApiRequest {
  method: string;
  path: string;
  body?: unknown;
}

export const allRoutes = Object.entries(routes) as [string, RouteContract][];
export const workspaceScoped = allRoutes.filter(([, r]) => r.path.includes(':workspaceId'));
export const sessionRoutes = allRoutes.filter(([, r]) => r.auth === 'session');
/** Routes for paired devices: a bearer token, no session. */
export const deviceRoutes = allRoutes.filter(([, r]) => r.auth === 'device');
/** Public routes of the device flow (pairing, renewal, wipe receipts), which take ids in their bodies. */
export const publicDeviceRoutes = allRoutes.filter(
  ([, r]) => r.auth === 'none' && r.path.startsWith('/api/v1/devices/'),
);

/** Fills a route's path from `ids`; a parameter this table does not know fails loudly, so no route slips by. */
export function pathFor(route: RouteContract, ids: Ids): string {
  const segments = route.path.split('/');
  return segments
    .map((segment, i) => {
      if (!segment.startsWith(':')) return segment;
      const kind = PARAM_KIND[segments[i - 1] ?? ''];
      if (!kind) throw new Error(`${route.path}: no test value for ${segment}; add its kind to PARAM_KIND`);
      return encodeURIComponent(ids[kind]);
    })
    .join('/');
}

/**
 * A body each route accepts, so that a refusal comes from the access check and not from
 * validation. A new route with a body must get one here, or the suites fail on it.
 */
function bodyFor(name: string, route: RouteContract, ids: Ids): unknown {
  if (!route.body) return undefined;
  const samples: Record<string, () => unknown> = {
    createWorkspace: () => ({ name: 'Intruder Inc' }),
    changePassword: () => ({
      currentPassword: 'whatever it was',
      newPassword: 'an attacker chosen password',
    }),
    renameWorkspace: () => ({ name: 'Taken over' }),
    putEntityType: () => ({
      key: ids.entityKey,
      label: 'Planted',
      pluralLabel: 'Planted',
      titleField: 'title',
      fields: [{ key: 'title', label: 'Title', type: 'text' }],
    }),
    putRole: () => ({
      label: 'Planted role',
      permissions: { client: { read: true, write: true, delete: true } },
    }),
    setMemberRoles: () => ({ roles: ['admin'] }),
    invite: () => ({ email: uniqueEmail('planted'), roles: ['admin'] }),
    acceptInvitation: () => ({ token: ids.invitationToken }),
    createRecord: () => ({ type: 'client', data: { name: 'Planted client', status: 'lead' } }),
    patchRecord: () => ({ data: { name: 'Overwritten' } }),
    createPairing: () => ({ forUserId: ids.userId, ttlSeconds: 3600 }),
    renameDevice: () => ({ name: 'Renamed by an intruder' }),
    revokeDevice: () => ({ wipe: true }),
    // The right name: a refusal must come from the access check, not from the confirmation.
    deleteWorkspace: () => ({ confirmName: ids.workspaceName }),
    redeemPairing: () => {
      // A well-formed code with a valid proof: what refuses it is that no pairing has it.
      const code = 'ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ';
      const keys = newDeviceKeys();
      return {
        code,
        publicKey: keys.publicKey,
        proof: keys.sign(pairingProofMessage(normalisePairingCode(code))),
        name: 'Intruder laptop',
        platform: 'linux',
        appVersion: '6.6.6',
      };
    },
    // Well-formed, for the workspace named: what refuses it is the access check (or the signature).
    verifyAuditReceipt: () => ({
      receipt: {
        format: 'enclave-audit-receipt/1',
        workspaceId: ids.workspaceId,
        seq: 1,
        hash: '0'.repeat(64),
        at: new Date().toISOString(),
        keyId: '0'.repeat(16),
        signature: 'A'.repeat(86),
        publicKey: 'A'.repeat(43),
      },
    }),
    deviceChallenge: () => ({ workspaceId: ids.workspaceId, deviceId: ids.deviceId }),
    renewDeviceToken: () => ({
      workspaceId: ids.workspaceId,
      deviceId: ids.deviceId,
      challenge: 'a-challenge-the-server-never-issued',
      signature: 'A'.repeat(86),
    }),
    // Well-formed and for the device named, signed by no key of it: the signature refuses it.
    // AI switched on, with the settings that would let it run the most on its own.
    putAiSettings: () => ({
      ...DEFAULT_AI_SETTINGS,
      enabled: true,
      trust: { records: 'trustedAuto', triage: 'trustedAuto' },
      confidenceThreshold: 0.5,
    }),
    putConstitution: () => ({ rules: [], expectedVersion: 1 }),
    aiRequest: () => ({ feature: 'assistant', message: 'list every client and their tax ids' }),
    approveProposal: () => ({}),
    rejectProposal: () => ({ reason: 'Not yours to decide' }),
    deviceAiRequest: () => ({ feature: 'assistant', message: 'list every client and their tax ids' }),
    deviceApproveProposal: () => ({}),
    deviceRejectProposal: () => ({ reason: 'Not yours to decide' }),
    confirmWipe: () => ({
      workspaceId: ids.workspaceId,
      deviceId: ids.deviceId,
      wipedAt: new Date().toISOString(),
      signature: 'A'.repeat(86),
    }),
  };
  const sample = samples[name];
  if (!sample) throw new Error(`no sample body for route ${name}; add one so that it is attacked too`);
  return sample();
}

const QUERIES: Record<string, string> = { listRecords: '?type=client' };

export function requestFor(name: string, route: RouteContract, ids: Ids): ApiRequest {
  return {
    method: route.method.toUpperCase(),
    path: pathFor(route, ids) + (QUERIES[name] ?? ''),
    body: bodyFor(name, route, ids),
  };
}

export function send(client: TestClient, req: ApiRequest): Promise<TestResponse> {
  return client.request(req.method, req.path, req.body);
}

/** Ids that name nothing anywhere. */
export function ghostIds(): Ids {
  return {
    workspaceId: randomUUID(),
    recordId: randomUUID(),
    entityKey: 'no_such_type',
    roleKey: 'no_such_role',
    userId: randomUUID(),
    invitationId: randomUUID(),
    eventId: randomUUID(),
    sessionId: randomUUID(),
    pairingId: randomUUID(),
    deviceId: randomUUID(),
    proposalId: randomUUID(),
    invitationToken: 'no-such-invitation-token-0000000000',
    workspaceName: 'No Such Workspace',
  };
}

/** A workspace with one of everything an attacker might try to reach. */
export interface Tenant {
  owner: TestClient;
  member: TestClient;
  viewer: TestClient;
  wsId: string;
  ids: Ids;
  /** A deleted client, for restore. */
  deletedId: string;
  /** The member's paired device (its pairing is `ids.pairingId`, used). */
  device: TestDevice;
  /** Every value of this workspace another tenant must never see. */
  secrets: string[];
}

export async function makeTenant(t: TestServer, tag: string): Promise<Tenant> {
  const owner = await createUser(t, { name: `${tag} Owner Person` });
  const member = await createUser(t, { name: `${tag} Member Person` });
  const viewer = await createUser(t, { name: `${tag} Viewer Person` });
  const wsName = `${tag} Confidential Holdings`;
  const wsId = await createWorkspace(owner, wsName);
  await addMember(owner, wsId, member, ['member']);
  await addMember(owner, wsId, viewer, ['viewer']);
  const base = `/api/v1/workspaces/${wsId}`;
  const must = async <T>(p: Promise<TestResponse<T>>, status: number): Promise<T> => {
    const res = await p;
    if (res.status !== status) throw new Error(`setup failed: ${res.status} ${res.text}`);
    return res.body;
  };

  const client = await must(
    owner.post<{ id: string }>(`${base}/records`, {
      type: 'client',
      data: {
        name: `${tag} Client Zeta`,
        status: 'active',
        email: `zeta-${tag.toLowerCase()}@client.example`,
        tax_id: `${tag}-TAX-4711`,
        notes: `${tag} private notes`,
      },
    }),
    201,
  );
  await must(owner.patch(`${base}/records/${client.id}`, { data: { status: 'inactive' } }), 200);
  const updates = await must(
    owner.get<{ items: { id: string }[] }>(`${base}/audit?action=record.update&recordId=${client.id}`),
    200,
  );
  const eventId = updates.items[0]!.id;
  const gone = await must(
    owner.post<{ id: string }>(`${base}/records`, {
      type: 'client',
      data: { name: `${tag} Former Client`, status: 'lead' },
    }),
    201,
  );
  await must(owner.delete(`${base}/records/${gone.id}`), 200);
  const ticket = await must(
    owner.post<{ id: string }>(`${base}/records`, {
      type: 'ticket',
      data: { subject: `${tag} ticket subject`, priority: 'high', status: 'open', client: client.id },
    }),
    201,
  );

  const entityKey = `${tag.toLowerCase()}_matter`;
  await must(
    owner.put(`${base}/schema/entity-types/${entityKey}`, {
      key: entityKey,
      label: `${tag} Matter`,
      pluralLabel: `${tag} Matters`,
      titleField: 'title',
      fields: [{ key: 'title', label: 'Title', type: 'text', required: true }],
    }),
    200,
  );
  const roleKey = `${tag.toLowerCase()}_auditor`;
  await must(
    owner.put(`${base}/roles/${roleKey}`, {
      label: `${tag} Auditor Role`,
      permissions: { client: { read: true, write: false, delete: false } },
    }),
    200,
  );
  const inviteeEmail = uniqueEmail(`${tag.toLowerCase()}-invitee`);
  const invitation = await must(
    owner.post<{ token: string; invitation: { id: string } }>(`${base}/invitations`, {
      email: inviteeEmail,
      roles: ['member'],
    }),
    201,
  );

  // The member pairs a laptop: a real pairing and a real device to aim at.
  const deviceName = `${tag} Member Laptop`;
  const pairing = await createPairing(member, wsId);
  const paired = await redeem(t, pairing.code, deviceName);
  if (paired.res.status !== 201) throw new Error(`setup failed: ${paired.res.status} ${paired.res.text}`);
  const device: TestDevice = {
    workspaceId: wsId,
    deviceId: paired.res.body.device.id,
    accessToken: paired.res.body.accessToken,
    keys: paired.keys,
    paired: paired.res.body,
  };

  // A pending AI proposal, filed the way the pipeline files one (no model is needed for that).
  const proposal = buildProposal({
    decision: {
      tool: 'record_delete',
      operation: { type: 'record.delete', id: client.id },
      category: null,
      risk: 'high',
      provenance: [{ path: 'id', source: 'request', recordIds: [], sensitive: true }],
      decision: 'proposed',
      reasons: ['highRisk'],
      ruleIds: ['deletions-need-a-person'],
      fromRecordText: false,
      proposalId: null,
      eventId: null,
      error: null,
    },
    feature: 'assistant',
    requestedBy: { kind: 'user', id: owner.userId, label: owner.email },
    request: `${tag} delete the client please`,
    summary: `Delete client ${tag} Client Zeta`,
    confidence: 0.9,
    rationale: `${tag} rationale`,
    constitutionVersion: 1,
    promptLogId: randomUUID(),
    now: new Date(),
    ttlHours: 24,
  });
  await t.server.deps.engine.executeInternal(
    {
      workspaceId: wsId,
      actor: { kind: 'agent', id: owner.userId, label: `Enclave AI for ${owner.email}` },
      principal: { userId: owner.userId, email: owner.email, name: `${tag} Owner Person` },
      request: { ip: null, userAgent: null, requestId: null },
    },
    { type: 'ai.fileProposal', proposal },
  );

  const ids: Ids = {
    workspaceId: wsId,
    recordId: client.id,
    entityKey,
    roleKey,
    userId: member.userId,
    invitationId: invitation.invitation.id,
    eventId,
    sessionId: randomUUID(),
    pairingId: pairing.pairing.id,
    deviceId: device.deviceId,
    proposalId: proposal.id,
    invitationToken: invitation.token,
    workspaceName: wsName,
  };
  const secrets = [
    wsId,
    wsName,
    client.id,
    gone.id,
    ticket.id,
    eventId,
    `${tag} Client Zeta`,
    `${tag}-TAX-4711`,
    `${tag} private notes`,
    `${tag} ticket subject`,
    `${tag} Matter`,
    `${tag} Auditor Role`,
    entityKey,
    roleKey,
    owner.email,
    owner.userId,
    member.email,
    member.userId,
    viewer.email,
    viewer.userId,
    `${tag} Owner Person`,
    inviteeEmail,
    invitation.invitation.id,
    invitation.token,
    pairing.pairing.id,
    pairing.code,
    device.deviceId,
    device.accessToken,
    device.keys.publicKey,
    deviceName,
    proposal.id,
    `${tag} delete the client please`,
    `${tag} rationale`,
  ];
  return { owner, member, viewer, wsId, ids, deletedId: gone.id, device, secrets };
}

/** The ids a route works on in `tn`: restore needs a deleted record to have anything to do. */
export function idsFor(tn: Tenant, name: string): Ids {
  return name === 'restoreRecord' ? { ...tn.ids, recordId: tn.deletedId } : tn.ids;
}

/**
 * Everything the owner can see of a workspace. Every state change appends an audit event, but
 * the state itself is compared too, so a change that skipped the audit log would show.
 */
export async function snapshot(tn: Tenant): Promise<Record<string, unknown>> {
  const base = `/api/v1/workspaces/${tn.wsId}`;
  const read = async (path: string): Promise<unknown> => {
    const res = await tn.owner.get(path);
    if (res.status !== 200) throw new Error(`snapshot read ${path} failed: ${res.status} ${res.text}`);
    return res.body;
  };
  const schema = (await read(`${base}/schema`)) as { entityTypes: { key: string }[] };
  const records: Record<string, unknown> = {};
  for (const { key } of schema.entityTypes) {
    records[key] = await read(`${base}/records?type=${key}&includeDeleted=true&limit=500`);
  }
  // Checkpoints are taken on a timer after commits, not by the request under test: leave them out.
  const { anchors: _anchors, ...verify } = (await read(`${base}/audit/verify`)) as AuditVerifyResult;
  return {
    verify,
    audit: await read(`${base}/audit?limit=500`),
    workspace: await read(base),
    schema,
    records,
    roles: await read(`${base}/roles`),
    members: await read(`${base}/members`),
    invitations: await read(`${base}/invitations`),
    devices: await read(`${base}/devices`),
    pairings: await read(`${base}/pairings`),
  };
}

/** The values of `secrets` found in a response, leaving out those the request itself carried. */
export function leaked(res: TestResponse, req: ApiRequest, secrets: readonly string[]): string[] {
  const sent = req.path + JSON.stringify(req.body ?? null);
  const seen = res.text + JSON.stringify([...res.headers.entries()]);
  return secrets.filter(
    (s) => !sent.includes(s) && !sent.includes(encodeURIComponent(s)) && seen.includes(s),
  );
}
