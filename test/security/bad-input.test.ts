import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  normalisePairingCode,
  pairingProofMessage,
  type ErrorBody,
  type ErrorCode,
  type WorkspaceRecord,
} from '@enclave/shared';
import {
  createUser,
  createWorkspace,
  startTestServer,
  type TestServer,
} from '../../server/src/test-support/test-server';
import type { TestClient, TestResponse } from '../../server/src/test-support/test-client';
import { createPairing, newDeviceKeys, pairDevice } from '../../server/src/test-support/test-devices';
import { expectError } from './attack-support';

const MAX_BODY = 2048;

/**
 * Bad input of every kind gets a 4xx in the one error shape and changes nothing: after each
 * refusal the workspace's audit head and its records are exactly as before.
 */
describe('bad input', () => {
  let t: TestServer;
  let owner: TestClient;
  let ws: string;
  let base: string;
  let client: WorkspaceRecord;
  let ticket: WorkspaceRecord;
  let deleted: WorkspaceRecord;

  beforeAll(async () => {
    t = await startTestServer({ env: { ENCLAVE_MAX_BODY_BYTES: String(MAX_BODY) } });
    owner = await createUser(t);
    ws = await createWorkspace(owner, 'Input Lab');
    base = `/api/v1/workspaces/${ws}`;
    const created = async (type: string, data: Record<string, unknown>) => {
      const res = await owner.post<WorkspaceRecord>(`${base}/records`, { type, data });
      if (res.status !== 201) throw new Error(`setup failed: ${res.text}`);
      return res.body;
    };
    client = await created('client', { name: 'Initech', status: 'active', email: 'ops@initech.example' });
    ticket = await created('ticket', { subject: 'TPS reports', priority: 'normal', status: 'open' });
    deleted = await created('client', { name: 'Gone Ltd', status: 'lead' });
    const del = await owner.delete<WorkspaceRecord>(`${base}/records/${deleted.id}`);
    deleted = del.body;
  });
  afterAll(() => t.close());

  /** What a bad request must not move: the audit head, the records, the schema, the members. */
  async function state(): Promise<unknown> {
    const read = async (path: string) => {
      const res = await owner.get(path);
      if (res.status !== 200) throw new Error(`state read ${path} failed: ${res.status} ${res.text}`);
      return res.body;
    };
    const verify = (await read(`${base}/audit/verify`)) as { ok: boolean; headSeq: number };
    expect(verify.ok).toBe(true);
    return {
      headSeq: verify.headSeq,
      client: await read(`${base}/records/${client.id}`),
      records: await Promise.all(
        ['client', 'invoice', 'ticket'].map((type) =>
          read(`${base}/records?type=${type}&includeDeleted=true&limit=500`),
        ),
      ),
      workspace: await read(base),
      schema: await read(`${base}/schema`),
      roles: await read(`${base}/roles`),
      members: await read(`${base}/members`),
      invitations: await read(`${base}/invitations`),
      devices: await read(`${base}/devices`),
      pairings: await read(`${base}/pairings`),
    };
  }

  async function refused(
    label: string,
    request: () => Promise<TestResponse>,
    status: number,
    code: ErrorCode,
  ): Promise<TestResponse> {
    const before = await state();
    const res = await request();
    expectError(res, status, code, label);
    expect(await state(), `${label}: state changed`).toEqual(before);
    return res;
  }

  const raw = (method: string, path: string, body: string, headers: Record<string, string> = {}) =>
    owner.request(method, path, body, headers);

  it('refuses malformed JSON with bad_request', async () => {
    const bodies = [
      '{"type":"client",',
      "{type: 'client', data: {}}",
      '{"type":"client","data":{"name":"x","status":"lead"},}',
      '{"type":"client"}}',
      'null',
      '"a string"',
      '42',
      'true',
      '\u0000',
      '{"type":"client","data":{"name":"\\x41","status":"lead"}}',
    ];
    for (const body of bodies) {
      await refused(
        `create ${JSON.stringify(body)}`,
        () => raw('POST', `${base}/records`, body),
        400,
        'bad_request',
      );
      await refused(
        `patch ${JSON.stringify(body)}`,
        () => raw('PATCH', `${base}/records/${client.id}`, body),
        400,
        'bad_request',
      );
    }
    await refused('rename', () => raw('PATCH', base, '{"name":'), 400, 'bad_request');
    await refused('put role', () => raw('PUT', `${base}/roles/desk`, '{"label":"x",'), 400, 'bad_request');
    await refused('invite', () => raw('POST', `${base}/invitations`, '[}'), 400, 'bad_request');
    // A body that says nothing is not a record.
    await refused('empty body', () => raw('POST', `${base}/records`, ''), 400, 'validation_failed');
  });

  it('refuses JSON of the wrong types with validation_failed', async () => {
    const cases: [string, string, string, unknown][] = [
      ['create: type is a number', 'POST', `${base}/records`, { type: 42, data: {} }],
      ['create: data is a string', 'POST', `${base}/records`, { type: 'client', data: 'name=x' }],
      ['create: data is null', 'POST', `${base}/records`, { type: 'client', data: null }],
      ['create: data is an array', 'POST', `${base}/records`, { type: 'client', data: [] }],
      ['create: body is an array', 'POST', `${base}/records`, [{ type: 'client', data: {} }]],
      ['create: id is a number', 'POST', `${base}/records`, { type: 'client', id: 7, data: {} }],
      ['patch: rev is a string', 'PATCH', `${base}/records/${client.id}`, { data: {}, rev: '1' }],
      ['patch: rev is negative', 'PATCH', `${base}/records/${client.id}`, { data: {}, rev: -1 }],
      ['patch: rev is fractional', 'PATCH', `${base}/records/${client.id}`, { data: {}, rev: 1.5 }],
      ['patch: data missing', 'PATCH', `${base}/records/${client.id}`, { rev: 1 }],
      [
        'create: nested value, within the depth limit',
        'POST',
        `${base}/records`,
        JSON.parse(
          `{"type":"client","data":{"name":"X","status":"lead","notes":${'['.repeat(50)}${']'.repeat(50)}}}`,
        ),
      ],
      ['rename: name is a number', 'PATCH', base, { name: 123 }],
      ['rename: name is blank', 'PATCH', base, { name: '   ' }],
      ['rename: name is too long', 'PATCH', base, { name: 'n'.repeat(101) }],
      [
        'invite: roles is a string',
        'POST',
        `${base}/invitations`,
        { email: 'a@example.com', roles: 'admin' },
      ],
      [
        'invite: email is not one',
        'POST',
        `${base}/invitations`,
        { email: 'not-an-email', roles: ['member'] },
      ],
      ['invite: no roles', 'POST', `${base}/invitations`, { email: 'a@example.com', roles: [] }],
      [
        'invite: roles repeat',
        'POST',
        `${base}/invitations`,
        { email: 'a@example.com', roles: ['member', 'member'] },
      ],
      ['roles: a bad role key', 'PATCH', `${base}/members/${owner.userId}`, { roles: ['Owner!'] }],
      [
        'role: permission is a string',
        'PUT',
        `${base}/roles/desk`,
        { label: 'Desk', permissions: { client: { read: 'yes', write: false, delete: false } } },
      ],
      ['role: key is built in', 'PUT', `${base}/roles/admin`, { label: 'Admin', permissions: {} }],
      [
        'entity type: enum without options',
        'PUT',
        `${base}/schema/entity-types/matter`,
        {
          key: 'matter',
          label: 'Matter',
          pluralLabel: 'Matters',
          titleField: 'title',
          fields: [{ key: 'title', label: 'Title', type: 'enum' }],
        },
      ],
      [
        'entity type: unknown field type',
        'PUT',
        `${base}/schema/entity-types/matter`,
        {
          key: 'matter',
          label: 'Matter',
          pluralLabel: 'Matters',
          titleField: 'title',
          fields: [{ key: 'title', label: 'Title', type: 'blob' }],
        },
      ],
      [
        'entity type: no fields',
        'PUT',
        `${base}/schema/entity-types/matter`,
        { key: 'matter', label: 'Matter', pluralLabel: 'Matters', titleField: 'title', fields: [] },
      ],
      [
        'sign-in: password is an object',
        'POST',
        '/api/v1/auth/signin',
        { email: owner.email, password: { $ne: '' } },
      ],
    ];
    for (const [label, method, path, body] of cases) {
      await refused(label, () => owner.request(method, path, body), 400, 'validation_failed');
    }
  });

  it('refuses unknown fields, and a body on a request that takes none', async () => {
    const cases: [string, string, string, unknown][] = [
      [
        'create',
        'POST',
        `${base}/records`,
        { type: 'client', data: { name: 'X', status: 'lead' }, owner: 'me' },
      ],
      ['patch', 'PATCH', `${base}/records/${client.id}`, { data: { name: 'X' }, deletedAt: null }],
      ['rename', 'PATCH', base, { name: 'New name', id: randomUUID() }],
      [
        'invite',
        'POST',
        `${base}/invitations`,
        { email: 'x@example.com', roles: ['member'], expiresAt: '2999-01-01T00:00:00Z' },
      ],
      ['set roles', 'PATCH', `${base}/members/${owner.userId}`, { roles: ['owner'], instanceAdmin: true }],
      [
        'role permission',
        'PUT',
        `${base}/roles/desk`,
        { label: 'Desk', permissions: { client: { read: true, write: true, delete: true, admin: true } } },
      ],
      [
        'entity type field',
        'PUT',
        `${base}/schema/entity-types/matter`,
        {
          key: 'matter',
          label: 'Matter',
          pluralLabel: 'Matters',
          titleField: 'title',
          fields: [{ key: 'title', label: 'Title', type: 'text', sql: 'DROP TABLE records' }],
        },
      ],
      [
        'create workspace',
        'POST',
        '/api/v1/workspaces',
        { name: 'Other', template: 'standard', ownerId: randomUUID() },
      ],
    ];
    for (const [label, method, path, body] of cases) {
      await refused(label, () => owner.request(method, path, body), 400, 'validation_failed');
    }
    // A "__proto__" key would not be seen as unknown once parsed (it becomes a prototype and
    // vanishes), so it is refused while the JSON is read, wherever it sits and however it is spelt.
    const poisoned: [string, string, string][] = [
      [
        'create',
        `${base}/records`,
        '{"type":"client","data":{"name":"X","status":"lead"},"__proto__":{"admin":true}}',
      ],
      [
        'create data',
        `${base}/records`,
        '{"type":"client","data":{"name":"X","status":"lead","__proto__":{"tax_id":"1"}}}',
      ],
      [
        'create, escaped',
        `${base}/records`,
        '{"type":"client","data":{"name":"X","status":"lead","\\u005f_proto__":{}}}',
      ],
      ['patch data', `${base}/records/${client.id}`, '{"data":{"__proto__":{"name":"Polluted"}}}'],
      ['put role', `${base}/roles/desk`, '{"label":"Desk","permissions":{"__proto__":{"read":true}}}'],
    ];
    for (const [label, path, body] of poisoned) {
      const method = path.endsWith('/records') ? 'POST' : path.includes('/roles/') ? 'PUT' : 'PATCH';
      await refused(`prototype key: ${label}`, () => raw(method, path, body), 400, 'bad_request');
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined();

    const bodyless: [string, string, string][] = [
      ['delete record', 'DELETE', `${base}/records/${client.id}`],
      ['restore record', 'POST', `${base}/records/${deleted.id}/restore`],
      ['remove entity type', 'DELETE', `${base}/schema/entity-types/ticket`],
      ['remove member', 'DELETE', `${base}/members/${owner.userId}`],
    ];
    for (const [label, method, path] of bodyless) {
      await refused(
        `${label} with a body`,
        () => owner.request(method, path, { force: true }),
        400,
        'validation_failed',
      );
    }
  });

  it('refuses JSON nested deeper than 64 levels with bad_request, whatever the route (within the size limit)', async () => {
    const deep = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const bodies: [string, string, string][] = [
      [
        'POST',
        `${base}/records`,
        `{"type":"client","data":{"name":"X","status":"lead","notes":${deep(900)}}}`,
      ],
      ['PATCH', `${base}/records/${client.id}`, `{"data":{"notes":${deep(900)}}}`],
      ['PUT', `${base}/roles/desk`, `{"label":"Desk","permissions":{"client":${deep(65)}}}`],
      ['PATCH', base, deep(1000)],
      ['POST', '/api/v1/auth/signup', `{"email":"deep@example.com","name":${deep(900)}}`],
    ];
    for (const [method, path, body] of bodies) {
      const res = await refused(`${method} ${path}`, () => raw(method, path, body), 400, 'bad_request');
      expect((res.body as ErrorBody).error.message).toMatch(/at most 64 levels deep/);
    }
    expect(t.outbox.lastTo('deep@example.com')).toBeUndefined();
    expect(t.logs()).not.toMatch(/unhandled error|Maximum call stack/);
  });

  it('refuses names with control, bidi or broken characters on every name field, and stores names NFC', async () => {
    const unsafe: [string, string][] = [
      ['NUL', 'Acme\u0000Legal'],
      ['ESC', '\u001b[31mAcme'],
      ['U+202E', 'Acme \u202Elagel'],
      ['a lone surrogate', 'Acme\ud800'],
    ];
    const pairing = await createPairing(owner, ws);
    const keys = newDeviceKeys();
    const device = await pairDevice(t, owner, ws, 'Name laptop');
    const entity = (over: Record<string, unknown>) => ({
      key: 'matter',
      label: 'Matter',
      pluralLabel: 'Matters',
      titleField: 'title',
      fields: [{ key: 'title', label: 'Title', type: 'text' }],
      ...over,
    });
    const fields: [string, TestClient, string, string, (name: string) => unknown][] = [
      [
        'sign-up name',
        t.client(),
        'POST',
        '/api/v1/auth/signup',
        (name) => ({
          email: 'names@example.com',
          name,
          password: 'a long enough password',
        }),
      ],
      [
        'setup name',
        t.client(),
        'POST',
        '/api/v1/setup',
        (name) => ({
          token: 'A'.repeat(43),
          email: 'names@example.com',
          name,
          password: 'a long enough password',
        }),
      ],
      ['workspace name', owner, 'POST', '/api/v1/workspaces', (name) => ({ name })],
      ['workspace rename', owner, 'PATCH', base, (name) => ({ name })],
      ['workspace deletion: confirmName', owner, 'DELETE', base, (confirmName) => ({ confirmName })],
      ['role label', owner, 'PUT', `${base}/roles/desk`, (label) => ({ label, permissions: {} })],
      ['entity label', owner, 'PUT', `${base}/schema/entity-types/matter`, (label) => entity({ label })],
      [
        'entity plural label',
        owner,
        'PUT',
        `${base}/schema/entity-types/matter`,
        (pluralLabel) => entity({ pluralLabel }),
      ],
      [
        'field label',
        owner,
        'PUT',
        `${base}/schema/entity-types/matter`,
        (label) => entity({ fields: [{ key: 'title', label, type: 'text' }] }),
      ],
      ['device rename', owner, 'PATCH', `${base}/devices/${device.deviceId}`, (name) => ({ name })],
      [
        'device name at pairing',
        t.client(),
        'POST',
        '/api/v1/devices/pair',
        (name) => ({
          code: pairing.code,
          publicKey: keys.publicKey,
          proof: keys.sign(pairingProofMessage(normalisePairingCode(pairing.code))),
          name,
          platform: 'linux',
          appVersion: '1.0.0',
        }),
      ],
    ];
    const workspacesBefore = await owner.get('/api/v1/workspaces');
    for (const [field, caller, method, path, put] of fields) {
      for (const [what, name] of unsafe) {
        const res = await refused(
          `${field}: ${what}`,
          () => caller.request(method, path, put(name)),
          400,
          'validation_failed',
        );
        expect(JSON.stringify(res.body), `${field}: ${what}`).toMatch(/U\+(0000|001B|202E|D800) at position/);
      }
    }
    expect((await owner.get('/api/v1/workspaces')).body).toEqual(workspacesBefore.body);
    expect(t.outbox.lastTo('names@example.com')).toBeUndefined();

    // A name typed with a combining accent is stored composed, so it reads and compares as one.
    const decomposed = 'Cafe\u0301 Mu\u0308ller';
    const composed = 'Caf\u00e9 M\u00fcller';
    const created = await owner.post<{ id: string; name: string }>('/api/v1/workspaces', {
      name: decomposed,
      template: 'empty',
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.name).toBe(composed);
    expect((await owner.get<{ name: string }>(`/api/v1/workspaces/${created.body.id}`)).body.name).toBe(
      composed,
    );
    const role = await owner.put<{ label: string }>(`/api/v1/workspaces/${created.body.id}/roles/desk`, {
      label: decomposed,
      permissions: {},
    });
    expect(role.status, role.text).toBe(200);
    expect(role.body.label).toBe(composed);
    const renamed = await owner.patch(`${base}/devices/${device.deviceId}`, { name: decomposed });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body).toMatchObject({ name: composed });
    // The deletion confirmation is compared after the same normalisation.
    const removed = await owner.request('DELETE', `/api/v1/workspaces/${created.body.id}`, {
      confirmName: decomposed,
    });
    expect(removed.status, removed.text).toBe(204);
  });

  it('refuses bodies over the size limit with payload_too_large', async () => {
    const big = 'x'.repeat(MAX_BODY + 100);
    await refused(
      'create',
      () =>
        owner.post(`${base}/records`, { type: 'client', data: { name: 'Big', status: 'lead', notes: big } }),
      413,
      'payload_too_large',
    );
    await refused(
      'patch',
      () => owner.patch(`${base}/records/${client.id}`, { data: { notes: big } }),
      413,
      'payload_too_large',
    );
    await refused('rename', () => owner.patch(base, { name: big }), 413, 'payload_too_large');
    await refused(
      'sign-up, before any session',
      () => t.client().post('/api/v1/auth/signup', { email: 'big@example.com', name: big, password: big }),
      413,
      'payload_too_large',
    );

    // Without a Content-Length the limit still holds: the parser counts what arrives.
    await refused(
      'chunked create',
      async () => {
        const payload = JSON.stringify({ type: 'client', data: { name: 'Big', status: 'lead', notes: big } });
        const encoder = new TextEncoder();
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            for (let i = 0; i < payload.length; i += 500)
              controller.enqueue(encoder.encode(payload.slice(i, i + 500)));
            controller.close();
          },
        });
        const res = await fetch(`${t.url}${base}/records`, {
          method: 'POST',
          headers: { cookie: owner.cookie ?? '', origin: t.url, 'content-type': 'application/json' },
          body: stream,
          duplex: 'half',
        });
        const text = await res.text();
        return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as unknown };
      },
      413,
      'payload_too_large',
    );
  });

  it('refuses anything but JSON with unsupported_media_type', async () => {
    const json = JSON.stringify({ type: 'client', data: { name: 'Typed', status: 'lead' } });
    const types: [string, string][] = [
      ['text/plain', json],
      ['text/plain; charset=utf-8', json],
      ['application/x-www-form-urlencoded', 'type=client&data[name]=Typed&data[status]=lead'],
      [
        'multipart/form-data; boundary=xyz',
        `--xyz\r\nContent-Disposition: form-data; name="type"\r\n\r\nclient\r\n--xyz--\r\n`,
      ],
      ['application/xml', '<record type="client"><name>Typed</name></record>'],
      ['application/json-patch+json', json],
      ['application/json; charset=latin1', json],
    ];
    for (const [type, body] of types) {
      await refused(
        type,
        () => raw('POST', `${base}/records`, body, { 'content-type': type }),
        415,
        'unsupported_media_type',
      );
      await refused(
        `${type} patch`,
        () =>
          raw('PATCH', `${base}/records/${client.id}`, JSON.stringify({ data: { name: 'Typed' } }), {
            'content-type': type,
          }),
        415,
        'unsupported_media_type',
      );
    }
    await refused(
      'unknown content encoding',
      () => raw('POST', `${base}/records`, json, { 'content-encoding': 'rot13' }),
      415,
      'unsupported_media_type',
    );
  });

  it('refuses malformed ids in paths, and answers well-formed unknown ones with not_found', async () => {
    const malformed: [string, string][] = [
      ['GET', '/api/v1/workspaces/not-a-uuid'],
      ['GET', `/api/v1/workspaces/..%2F..%2Fcontrol.db/records?type=client`],
      ['GET', `/api/v1/workspaces/${ws}%2F..%2F${randomUUID()}`],
      ['GET', `/api/v1/workspaces/${'a'.repeat(4000)}`],
      ['GET', `/api/v1/workspaces/${ws.toUpperCase()}x`],
      ['GET', `${base}/records/..%2F..%2Fworkspaces%2F${ws}.db`],
      ['GET', `${base}/records/%00`],
      ['GET', `${base}/records/${'r'.repeat(65)}`],
      ['GET', `${base}/records/${encodeURIComponent("1' OR '1'='1")}`],
      ['PATCH', `${base}/records/${encodeURIComponent(client.id + '/../x')}`],
      ['DELETE', `${base}/records/a%20b`],
      ['PATCH', `${base}/members/not-a-uuid`],
      ['DELETE', `${base}/members/${owner.userId}..`],
      ['DELETE', `${base}/invitations/12345`],
      ['POST', `${base}/audit/..%2F..%2F/undo`],
      ['PUT', `${base}/schema/entity-types/Client`],
      ['DELETE', `${base}/schema/entity-types/${'k'.repeat(41)}`],
      ['PUT', `${base}/roles/..%2F..%2Fmembers`],
      ['DELETE', `/api/v1/auth/sessions/not-a-uuid`],
    ];
    for (const [method, path] of malformed) {
      const body =
        method === 'PATCH' && path.includes('/members/')
          ? { roles: ['member'] }
          : method === 'PATCH'
            ? { data: { name: 'X' } }
            : method === 'PUT' && path.includes('/roles/')
              ? { label: 'X', permissions: {} }
              : method === 'PUT'
                ? {
                    key: 'client',
                    label: 'C',
                    pluralLabel: 'Cs',
                    titleField: 't',
                    fields: [{ key: 't', label: 'T', type: 'text' }],
                  }
                : undefined;
      await refused(
        `${method} ${path.slice(0, 120)}`,
        () => owner.request(method, path, body),
        400,
        'validation_failed',
      );
    }

    const unknown: [string, string][] = [
      ['GET', `/api/v1/workspaces/${randomUUID()}`],
      ['GET', `${base}/records/${'r'.repeat(64)}`],
      ['DELETE', `${base}/records/no-such-record`],
      ['POST', `${base}/records/${randomUUID()}/restore`],
      ['DELETE', `${base}/members/${randomUUID()}`],
      ['DELETE', `${base}/invitations/${randomUUID()}`],
      ['POST', `${base}/audit/${randomUUID()}/undo`],
      ['DELETE', `${base}/schema/entity-types/no_such_type`],
      ['DELETE', `${base}/roles/no_such_role`],
      // No such endpoint: a method the route does not have, or a path that escapes with dot segments.
      ['PUT', `${base}/records`],
      ['GET', `${base}/records/%2e%2e/%2e%2e/%2e%2e/%2e%2e/control.db`],
      ['POST', `${base}/records/%2e%2e/restore`],
      ['GET', '/api/v1/nothing-here'],
    ];
    for (const [method, path] of unknown) {
      await refused(`${method} ${path}`, () => owner.request(method, path), 404, 'not_found');
    }
  });

  it('refuses bad query parameters', async () => {
    const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const page = await owner.get<{ nextCursor: string | null }>(
      `${base}/records?type=client&includeDeleted=true&limit=1`,
    );
    const validCursor = page.body.nextCursor;
    expect(validCursor).toEqual(expect.any(String));
    const r = `${base}/records`;
    const invalid = [
      `${r}?type=client&limit=0`,
      `${r}?type=client&limit=abc`,
      `${r}?type=client&limit=-1`,
      `${r}?type=client&limit=1.5`,
      `${r}?type=client&limit=501`,
      `${r}?type=client&limit=1e400`,
      `${r}?type=client&limit=1&limit=2`,
      `${r}?type=client&admin=true`,
      `${r}?type=client&filter[name]=x`,
      r,
      `${r}?type=`,
      `${r}?type=Client`,
      `${r}?type=client&type=ticket`,
      `${r}?type=spaceship`,
      `${r}?type=client&filter=name`,
      `${r}?type=client&filter=name:like:x`,
      `${r}?type=client&filter=Name:eq:x`,
      `${r}?type=client&filter=password:eq:x`,
      `${r}?type=client&filter=${encodeURIComponent("name') OR 1=1 --:eq:x")}`,
      `${r}?type=client&${Array.from({ length: 11 }, () => 'filter=name:eq:x').join('&')}`,
      `${r}?type=ticket&filter=estimate_hours:gt:many`,
      `${r}?type=client&sort=nothing`,
      `${r}?type=client&sort=${encodeURIComponent('name; DROP TABLE records')}`,
      `${r}?type=client&order=sideways`,
      `${r}?type=client&includeDeleted=yes`,
      `${r}?type=client&q=${'q'.repeat(201)}`,
      `${r}?type=client&cursor=${'c'.repeat(1001)}`,
      `${base}/audit?limit=0`,
      `${base}/audit?limit=abc`,
      `${base}/audit?before=abc`,
      `${base}/audit?before=0`,
      `${base}/audit?from=yesterday`,
      `${base}/audit?actorKind=robot`,
      `${base}/audit?entityType=Client`,
      `${base}/audit?admin=true`,
      `${base}/audit/export?format=xml`,
      `${base}/audit/export?format=csv&limit=5`,
    ];
    for (const path of invalid) {
      await refused(`GET ${path.slice(0, 140)}`, () => owner.get(path), 400, 'validation_failed');
    }
    const badCursors = [
      'not-a-cursor',
      '%%%',
      cursorOf('just a string'),
      cursorOf({ v: { $gt: '' }, id: 'x', s: 'updatedAt', o: 'desc' }),
      cursorOf({ v: 'x', id: 'x', s: 'name', o: 'desc' }),
      cursorOf({ v: 'x', id: 'x', s: 'updatedAt', o: 'asc' }),
    ];
    for (const cursor of badCursors) {
      await refused(
        `cursor ${cursor}`,
        () => owner.get(`${r}?type=client&includeDeleted=true&limit=1&cursor=${encodeURIComponent(cursor)}`),
        400,
        'bad_request',
      );
    }
    // A cursor belongs to the query that made it.
    await refused(
      'cursor of another sort',
      () => owner.get(`${r}?type=client&sort=createdAt&cursor=${validCursor ?? ''}`),
      400,
      'bad_request',
    );
  });

  it('refuses record data that does not match its entity type, naming the field but not the value', async () => {
    const SECRET = 'VALUE-THAT-MUST-NOT-ECHO-9931';
    const creates: [string, string, Record<string, unknown>, string][] = [
      ['wrong type: name is a number', 'client', { name: 9931, status: 'lead' }, 'data.name'],
      [
        'wrong type: notes is an object',
        'client',
        { name: 'X', status: 'lead', notes: { text: SECRET } },
        'data.notes',
      ],
      [
        'wrong type: estimate is a string',
        'ticket',
        { subject: 'S', priority: 'low', status: 'open', estimate_hours: SECRET },
        'data.estimate_hours',
      ],
      ['missing required: status', 'client', { name: 'X' }, 'data.status'],
      ['missing required: name', 'client', { status: 'lead' }, 'data.name'],
      ['required text is blank', 'client', { name: '   ', status: 'lead' }, 'data.name'],
      ['required field is null', 'client', { name: null, status: 'lead' }, 'data.name'],
      [
        'unknown field',
        'client',
        { name: 'X', status: 'lead', [SECRET.toLowerCase().replaceAll('-', '_')]: 1 },
        'data',
      ],
      ['bad enum value', 'client', { name: 'X', status: SECRET }, 'data.status'],
      ['bad email', 'client', { name: 'X', status: 'lead', email: `${SECRET}@@example` }, 'data.email'],
      ['bad phone', 'client', { name: 'X', status: 'lead', phone: SECRET }, 'data.phone'],
      ['bad date', 'client', { name: 'X', status: 'lead', since: '2024-13-45' }, 'data.since'],
      ['text over its limit', 'client', { name: 'n'.repeat(1001), status: 'lead' }, 'data.name'],
      [
        'money with cents as a fraction',
        'invoice',
        { number: 'I-1', client: client.id, amount: 10.5, issued_on: '2024-01-01', status: 'draft' },
        'data.amount',
      ],
      [
        'boolean as a string',
        'invoice',
        {
          number: 'I-1',
          client: client.id,
          amount: 10,
          issued_on: '2024-01-01',
          status: 'draft',
          paid: 'yes',
        },
        'data.paid',
      ],
      [
        'reference to a missing record',
        'invoice',
        { number: 'I-1', client: randomUUID(), amount: 10, issued_on: '2024-01-01', status: 'draft' },
        'data.client',
      ],
      [
        'reference to a deleted record',
        'invoice',
        { number: 'I-1', client: deleted.id, amount: 10, issued_on: '2024-01-01', status: 'draft' },
        'data.client',
      ],
      [
        'reference to a record of another type',
        'invoice',
        { number: 'I-1', client: ticket.id, amount: 10, issued_on: '2024-01-01', status: 'draft' },
        'data.client',
      ],
      [
        'reference that is not an id',
        'invoice',
        { number: 'I-1', client: '../x', amount: 10, issued_on: '2024-01-01', status: 'draft' },
        'data.client',
      ],
    ];
    for (const [label, type, data, path] of creates) {
      const res = await refused(
        label,
        () => owner.post(`${base}/records`, { type, data }),
        400,
        'validation_failed',
      );
      const { details } = (res.body as ErrorBody).error;
      expect(details, label).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
      expect(res.text, label).not.toContain(SECRET);
    }
    await refused(
      'unknown entity type',
      () => owner.post(`${base}/records`, { type: 'spaceship', data: { name: 'X' } }),
      400,
      'validation_failed',
    );

    const patches: [string, Record<string, unknown>, string][] = [
      ['wrong type', { name: 42 }, 'data.name'],
      ['clearing a required field', { status: null }, 'data.status'],
      ['blanking required text', { name: '' }, 'data.name'],
      ['unknown field', { colour: 'red' }, 'data'],
      ['bad enum value', { status: SECRET }, 'data.status'],
      ['bad email', { email: SECRET }, 'data.email'],
    ];
    for (const [label, data, path] of patches) {
      const res = await refused(
        `patch: ${label}`,
        () => owner.patch(`${base}/records/${client.id}`, { data }),
        400,
        'validation_failed',
      );
      expect((res.body as ErrorBody).error.details, label).toEqual(
        expect.arrayContaining([expect.objectContaining({ path })]),
      );
      expect(res.text, label).not.toContain(SECRET);
    }
    // A valid change beside an invalid one is not half-applied.
    await refused(
      'patch: one good field, one bad',
      () => owner.patch(`${base}/records/${client.id}`, { data: { name: 'Renamed', email: 'nope' } }),
      400,
      'validation_failed',
    );
  });

  it('refuses bad input on the device routes, and pairs, renames or revokes nothing', async () => {
    const device = await pairDevice(t, owner, ws, 'Input laptop');
    const pairing = await createPairing(owner, ws);
    const app = t.client();
    app.origin = null;
    const code = normalisePairingCode(pairing.code);
    const keys = newDeviceKeys();
    const redeemBody = {
      code: pairing.code,
      publicKey: keys.publicKey,
      proof: keys.sign(pairingProofMessage(code)),
      name: 'Input desktop',
      platform: 'linux',
      appVersion: '1.0.0',
    };
    const pairings = `${base}/pairings`;
    const devicePath = `${base}/devices/${device.deviceId}`;
    const pair = '/api/v1/devices/pair';
    const challenge = '/api/v1/devices/challenge';
    const token = '/api/v1/devices/token';
    const renewal = { workspaceId: ws, deviceId: device.deviceId, challenge: 'c', signature: 'A'.repeat(86) };
    const cases: [string, TestClient, string, string, unknown][] = [
      ['pairing: lifetime over 30 days', owner, 'POST', pairings, { ttlSeconds: 30 * 24 * 3600 + 1 }],
      ['pairing: lifetime under a minute', owner, 'POST', pairings, { ttlSeconds: 59 }],
      ['pairing: lifetime as a string', owner, 'POST', pairings, { ttlSeconds: '900' }],
      ['pairing: lifetime fractional', owner, 'POST', pairings, { ttlSeconds: 900.5 }],
      ['pairing: forUserId not an id', owner, 'POST', pairings, { forUserId: 'me' }],
      ['pairing: a code of my choosing', owner, 'POST', pairings, { code: pairing.code }],
      ['rename: blank', owner, 'PATCH', devicePath, { name: '   ' }],
      ['rename: too long', owner, 'PATCH', devicePath, { name: 'n'.repeat(81) }],
      ['rename: another owner', owner, 'PATCH', devicePath, { name: 'ok', ownerId: randomUUID() }],
      ['revoke: wipe as a string', owner, 'POST', `${devicePath}/revoke`, { wipe: 'yes' }],
      ['revoke: unknown field', owner, 'POST', `${devicePath}/revoke`, { wipe: false, revokedAt: null }],
      ['delete workspace: no confirmation', owner, 'DELETE', base, {}],
      ['delete workspace: name as a number', owner, 'DELETE', base, { confirmName: 42 }],
      ['delete workspace: name in another case', owner, 'DELETE', base, { confirmName: 'input lab' }],
      ['delete workspace: unknown field', owner, 'DELETE', base, { confirmName: 'Input Lab', force: true }],
      ['redeem: code one short', app, 'POST', pair, { ...redeemBody, code: code.slice(0, 19) }],
      ['redeem: code one long', app, 'POST', pair, { ...redeemBody, code: `${code}0` }],
      ['redeem: code with a U', app, 'POST', pair, { ...redeemBody, code: `${code.slice(0, 19)}U` }],
      ['redeem: code with punctuation', app, 'POST', pair, { ...redeemBody, code: `${code.slice(0, 19)}!` }],
      ['redeem: code padded past 64', app, 'POST', pair, { ...redeemBody, code: `${' '.repeat(45)}${code}` }],
      ['redeem: code as a number', app, 'POST', pair, { ...redeemBody, code: 12345 }],
      ['redeem: key one too long', app, 'POST', pair, { ...redeemBody, publicKey: `${keys.publicKey}A` }],
      ['redeem: key as PEM', app, 'POST', pair, { ...redeemBody, publicKey: '-----BEGIN PUBLIC KEY-----' }],
      ['redeem: proof not base64url', app, 'POST', pair, { ...redeemBody, proof: '!'.repeat(86) }],
      [
        'redeem: proof by another key',
        app,
        'POST',
        pair,
        { ...redeemBody, proof: newDeviceKeys().sign(pairingProofMessage(code)) },
      ],
      ['redeem: unknown platform', app, 'POST', pair, { ...redeemBody, platform: 'ios' }],
      ['redeem: blank name', app, 'POST', pair, { ...redeemBody, name: '  ' }],
      ['redeem: name too long', app, 'POST', pair, { ...redeemBody, name: 'n'.repeat(81) }],
      ['redeem: whose device it is', app, 'POST', pair, { ...redeemBody, ownerId: owner.userId }],
      ['challenge: ids that are not ids', app, 'POST', challenge, { workspaceId: 'x', deviceId: 'y' }],
      [
        'challenge: unknown field',
        app,
        'POST',
        challenge,
        { workspaceId: ws, deviceId: device.deviceId, ttl: 1e9 },
      ],
      ['renew: signature too short', app, 'POST', token, { ...renewal, signature: 'short' }],
      ['renew: challenge too long', app, 'POST', token, { ...renewal, challenge: 'c'.repeat(201) }],
      ['renew: empty challenge', app, 'POST', token, { ...renewal, challenge: '' }],
      ['renew: no device', app, 'POST', token, { ...renewal, deviceId: undefined }],
    ];
    for (const [label, caller, method, path, body] of cases) {
      await refused(label, () => caller.request(method, path, body), 400, 'validation_failed');
    }
    await refused(
      'unpair with a body',
      () =>
        app.request(
          'POST',
          '/api/v1/device/unpair',
          { wipe: true },
          { authorization: `Bearer ${device.accessToken}` },
        ),
      400,
      'validation_failed',
    );
    await refused(
      'cancel a pairing with a body',
      () => owner.request('DELETE', `${pairings}/${pairing.pairing.id}`, { force: true }),
      400,
      'validation_failed',
    );

    const malformed: [string, string, unknown][] = [
      ['DELETE', `${pairings}/not-a-uuid`, undefined],
      ['DELETE', `${pairings}/..%2F..%2Fmembers`, undefined],
      ['PATCH', `${base}/devices/${device.deviceId}x`, { name: 'X' }],
      ['PATCH', `${base}/devices/..%2F..`, { name: 'X' }],
      ['POST', `${base}/devices/12345/revoke`, {}],
    ];
    for (const [method, path, body] of malformed) {
      await refused(`${method} ${path}`, () => owner.request(method, path, body), 400, 'validation_failed');
    }
    const unknown: [string, string, unknown][] = [
      ['DELETE', `${pairings}/${randomUUID()}`, undefined],
      ['PATCH', `${base}/devices/${randomUUID()}`, { name: 'X' }],
      ['POST', `${base}/devices/${randomUUID()}/revoke`, {}],
      ['GET', `${base}/devices/${device.deviceId}`, undefined],
    ];
    for (const [method, path, body] of unknown) {
      await refused(`${method} ${path}`, () => owner.request(method, path, body), 404, 'not_found');
    }

    // None of that spent the code: it still pairs, as it is.
    const paired = await app.post(pair, redeemBody);
    expect(paired.status, paired.text).toBe(201);
  });

  it('refuses changes that cannot apply with conflict, and schema or member edits that do not fit', async () => {
    const conflicts: [string, () => Promise<TestResponse>][] = [
      [
        'create with a taken id',
        () =>
          owner.post(`${base}/records`, {
            type: 'client',
            id: client.id,
            data: { name: 'Dup', status: 'lead' },
          }),
      ],
      [
        'patch with a stale rev',
        () => owner.patch(`${base}/records/${client.id}`, { data: { name: 'Stale' }, rev: client.rev + 5 }),
      ],
      [
        'patch a deleted record',
        () => owner.patch(`${base}/records/${deleted.id}`, { data: { name: 'Zombie' } }),
      ],
      ['delete a deleted record', () => owner.delete(`${base}/records/${deleted.id}`)],
      ['restore a live record', () => owner.post(`${base}/records/${client.id}/restore`)],
      ['remove a type with records', () => owner.delete(`${base}/schema/entity-types/ticket`)],
      ['demote the last owner', () => owner.patch(`${base}/members/${owner.userId}`, { roles: ['member'] })],
      ['remove the last owner', () => owner.delete(`${base}/members/${owner.userId}`)],
      ['invite a member', () => owner.post(`${base}/invitations`, { email: owner.email, roles: ['member'] })],
    ];
    for (const [label, request] of conflicts) await refused(label, request, 409, 'conflict');

    const invalid: [string, () => Promise<TestResponse>][] = [
      [
        'entity type key differs from the path',
        () =>
          owner.put(`${base}/schema/entity-types/matter`, {
            key: 'other',
            label: 'M',
            pluralLabel: 'Ms',
            titleField: 't',
            fields: [{ key: 't', label: 'T', type: 'text' }],
          }),
      ],
      [
        'reference to an unknown type',
        () =>
          owner.put(`${base}/schema/entity-types/matter`, {
            key: 'matter',
            label: 'M',
            pluralLabel: 'Ms',
            titleField: 't',
            fields: [
              { key: 't', label: 'T', type: 'text' },
              { key: 'r', label: 'R', type: 'reference', refType: 'nothing' },
            ],
          }),
      ],
      [
        'title field that is not a field',
        () =>
          owner.put(`${base}/schema/entity-types/matter`, {
            key: 'matter',
            label: 'M',
            pluralLabel: 'Ms',
            titleField: 'nope',
            fields: [{ key: 't', label: 'T', type: 'text' }],
          }),
      ],
      [
        'role on an unknown type',
        () =>
          owner.put(`${base}/roles/desk`, {
            label: 'Desk',
            permissions: { spaceship: { read: true, write: true, delete: true } },
          }),
      ],
      [
        'an unknown role for a member',
        () => owner.patch(`${base}/members/${owner.userId}`, { roles: ['owner', 'no_such_role'] }),
      ],
      [
        'an invitation with an unknown role',
        () => owner.post(`${base}/invitations`, { email: 'x@example.com', roles: ['no_such_role'] }),
      ],
    ];
    for (const [label, request] of invalid) await refused(label, request, 400, 'validation_failed');
  });
});
