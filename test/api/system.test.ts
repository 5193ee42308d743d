import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBody, routes, type RouteContract } from '@enclave/shared';
import { createUser, startTestServer, type TestServer } from '../../server/src/test-support/test-server';
import type { TestClient, TestResponse } from '../../server/src/test-support/test-client';

type Json = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Keywords of the JSON Schema dialect of OpenAPI 3.0 (a subset of draft 5, plus its own). */
const SCHEMA_KEYWORDS = new Set([
  'type',
  'format',
  'pattern',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
  'uniqueItems',
  'items',
  'properties',
  'required',
  'additionalProperties',
  'minProperties',
  'maxProperties',
  'enum',
  'nullable',
  'default',
  'description',
  'title',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'readOnly',
  'writeOnly',
  'example',
  'deprecated',
]);
const SCHEMA_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object']);

/**
 * Checks a schema against the OpenAPI 3.0 rules that JSON Schema generators most often break:
 * only 3.0 keywords (no `const`, `$schema`, `prefixItems`), a single `type` (no type arrays; 3.0
 * spells null as `nullable`), boolean exclusive bounds, and `required` naming declared properties.
 */
function schemaProblems(schema: unknown, at: string): string[] {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return [`${at}: not an object`];
  const s = schema as Json;
  const problems: string[] = [];
  for (const key of Object.keys(s)) {
    if (!SCHEMA_KEYWORDS.has(key) && !key.startsWith('x-')) problems.push(`${at}: keyword ${key}`);
  }
  if (s.type !== undefined && !(typeof s.type === 'string' && SCHEMA_TYPES.has(s.type)))
    problems.push(`${at}: type ${JSON.stringify(s.type)}`);
  for (const bound of ['exclusiveMinimum', 'exclusiveMaximum']) {
    if (s[bound] !== undefined && typeof s[bound] !== 'boolean') problems.push(`${at}: ${bound} not boolean`);
  }
  if (s.type === 'array' && s.items === undefined) problems.push(`${at}: array without items`);
  if (s.required !== undefined) {
    const props = (s.properties ?? {}) as Json;
    if (!Array.isArray(s.required)) problems.push(`${at}: required not an array`);
    else
      for (const r of s.required as string[])
        if (!(r in props)) problems.push(`${at}: required ${r} undeclared`);
  }
  if (s.properties !== undefined) {
    for (const [name, sub] of Object.entries(s.properties as Json))
      problems.push(...schemaProblems(sub, `${at}.${name}`));
  }
  if (typeof s.additionalProperties === 'object')
    problems.push(...schemaProblems(s.additionalProperties, `${at}{*}`));
  else if (s.additionalProperties !== undefined && typeof s.additionalProperties !== 'boolean')
    problems.push(`${at}: additionalProperties`);
  if (s.items !== undefined) problems.push(...schemaProblems(s.items, `${at}[]`));
  if (s.not !== undefined) problems.push(...schemaProblems(s.not, `${at}!`));
  for (const combo of ['allOf', 'anyOf', 'oneOf']) {
    if (s[combo] === undefined) continue;
    if (!Array.isArray(s[combo])) problems.push(`${at}: ${combo} not an array`);
    else
      (s[combo] as unknown[]).forEach((sub, i) =>
        problems.push(...schemaProblems(sub, `${at}.${combo}[${i}]`)),
      );
  }
  return problems;
}

function expectError(res: TestResponse, status: number, code: string): void {
  expect(res.status, res.text).toBe(status);
  expect(ErrorBody.safeParse(res.body).success, res.text).toBe(true);
  expect((res.body as ErrorBody).error.code).toBe(code);
}

describe('system endpoints and headers', () => {
  let t: TestServer;
  let anon: TestClient;

  beforeAll(async () => {
    t = await startTestServer({ env: { ENCLAVE_SECURITY_CONTACT: 'mailto:security@enclave.example' } });
    anon = t.client();
  });
  afterAll(() => t.close());

  describe('health', () => {
    it('answers /healthz and /readyz without a session', async () => {
      const health = await anon.get('/healthz');
      expect(health.status).toBe(200);
      expect(health.body).toEqual({ status: 'ok' });
      const ready = await anon.get('/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({
        status: 'ready',
        database: 'ok',
        storage: 'ok',
        unavailableWorkspaces: 0,
      });
    });
  });

  describe('security.txt', () => {
    it('serves Contact and a future Expires, as RFC 9116 asks', async () => {
      const res = await anon.get('/.well-known/security.txt');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const lines = res.text.split('\n');
      expect(lines).toContain('Contact: mailto:security@enclave.example');
      const expires = lines.find((l) => l.startsWith('Expires: '))?.slice('Expires: '.length);
      expect(expires).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      const at = Date.parse(expires ?? '');
      // In the future, and (as the RFC recommends) no more than a year or so ahead.
      expect(at).toBeGreaterThan(Date.now());
      expect(at).toBeLessThanOrEqual(Date.now() + 366 * 24 * 60 * 60 * 1000);
      expect(lines.find((l) => l.startsWith('Canonical: '))).toBe(
        `Canonical: ${t.url}/.well-known/security.txt`,
      );
    });

    it('names as its Policy a page that exists: how to report, to whom, what the server promises', async () => {
      const txt = await anon.get('/.well-known/security.txt');
      const policy = txt.text.split('\n').find((l) => l.startsWith('Policy: '));
      expect(policy).toBe(`Policy: ${t.url}/security`);
      const page = await anon.get(new URL(policy!.slice('Policy: '.length)).pathname);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.text).toContain('<a href="mailto:security@enclave.example">security@enclave.example</a>');
      expect(page.text).toMatch(/how to reproduce it/);
      expect(page.text).toMatch(/argon2id/);
      expect(page.text).toContain('SECURITY.md');
      expect(page.text).toContain('href="/.well-known/security.txt"');
      // It has to work under the strict CSP as it is: no script, no style, inline or not.
      expect(page.text).not.toMatch(/<script|<style|style=|\son[a-z]+=|javascript:/i);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
    });
  });

  describe('OpenAPI document', () => {
    let doc: Json;
    let paths: Record<string, Record<string, Json>>;

    beforeAll(async () => {
      const res = await anon.get<Json>('/api/v1/openapi.json');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      doc = res.body;
      paths = doc.paths as Record<string, Record<string, Json>>;
    });

    const openApiPath = (route: RouteContract) => route.path.replace(/:([A-Za-z]+)/g, '{$1}');

    it('is an OpenAPI 3 document with info, paths and the session scheme', () => {
      expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
      expect(doc.info).toMatchObject({
        title: expect.any(String) as unknown,
        version: expect.any(String) as unknown,
      });
      expect(typeof paths).toBe('object');
      expect(doc.components).toMatchObject({
        securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'enclave_session' } },
      });
    });

    it('has an operation for every route of the contract, and nothing else', () => {
      const entries = Object.entries(routes) as [string, RouteContract][];
      expect(entries.length).toBeGreaterThan(30);
      const operationIds = new Set<string>();
      for (const [name, route] of entries) {
        const op = paths[openApiPath(route)]?.[route.method];
        expect(op, `${name}: ${route.method} ${route.path}`).toBeDefined();
        expect(op?.operationId).toBe(name);
        operationIds.add(String(op?.operationId));
        expect(op?.summary).toBe(route.summary);
        // The session or device requirement is stated where, and only where, one is needed.
        if (route.auth === 'session') expect(op?.security, name).toEqual([{ session: [] }]);
        else if (route.auth === 'device') expect(op?.security, name).toEqual([{ device: [] }]);
        else expect(op?.security, name).toBeUndefined();
        expect(Object.keys(op?.responses as Json), name).toContain(String(route.status));
      }
      expect(operationIds.size).toBe(entries.length);
      const documented = Object.entries(paths).flatMap(([p, methods]) =>
        Object.keys(methods).map((m) => `${m} ${p}`),
      );
      expect(documented.sort()).toEqual(entries.map(([, r]) => `${r.method} ${openApiPath(r)}`).sort());
    });

    it('declares every path parameter, and every query parameter of the contract', () => {
      for (const [name, route] of Object.entries(routes) as [string, RouteContract][]) {
        const op = paths[openApiPath(route)]?.[route.method];
        const params = (op?.parameters ?? []) as {
          name: string;
          in: string;
          required: boolean;
          schema: Json;
        }[];
        const inPath = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]);
        expect(
          params.filter((p) => p.in === 'path').map((p) => p.name),
          name,
        ).toEqual(inPath);
        for (const p of params.filter((x) => x.in === 'path'))
          expect(p.required, `${name} ${p.name}`).toBe(true);
        const queryNames = params.filter((p) => p.in === 'query').map((p) => p.name);
        if (route.query && 'shape' in route.query) {
          expect(queryNames.sort(), name).toEqual(Object.keys(route.query.shape as Json).sort());
        } else {
          expect(queryNames, name).toEqual([]);
        }
        for (const p of params) expect(schemaProblems(p.schema, `${name}.${p.name}`)).toEqual([]);
      }
      const list = paths['/api/v1/workspaces/{workspaceId}/records']?.get?.parameters as {
        name: string;
        required: boolean;
      }[];
      expect(list.find((p) => p.name === 'type')?.required).toBe(true);
      expect(list.find((p) => p.name === 'cursor')?.required).toBe(false);
    });

    it('describes every request body as closed to unknown fields, as the server enforces', () => {
      const withBody = (Object.entries(routes) as [string, RouteContract][]).filter(([, r]) => r.body);
      expect(withBody.length).toBeGreaterThan(10);
      for (const [name, route] of withBody) {
        const op = paths[openApiPath(route)]?.[route.method];
        const body = op?.requestBody as
          { required: boolean; content: Record<string, { schema: Json }> } | undefined;
        expect(body?.required, name).toBe(true);
        const schema = body?.content['application/json']?.schema;
        // A body of several kinds (an AI request names its feature) is one closed object per kind.
        const kinds = (schema?.oneOf ?? schema?.anyOf ?? [schema]) as (Json | undefined)[];
        for (const kind of kinds) {
          expect(kind?.type, name).toBe('object');
          expect(kind?.additionalProperties, name).toBe(false);
        }
        expect(schemaProblems(schema, name)).toEqual([]);
      }
      // Nested objects are closed too: a field definition of an entity type, a permission triple.
      const entityType = paths['/api/v1/workspaces/{workspaceId}/schema/entity-types/{key}']?.put
        ?.requestBody as {
        content: Record<string, { schema: { properties: { fields: { items: Json } } } }>;
      };
      expect(
        entityType.content['application/json']?.schema.properties.fields.items.additionalProperties,
      ).toBe(false);
    });

    it('describes every JSON response, and the one error shape', () => {
      for (const [name, route] of Object.entries(routes) as [string, RouteContract][]) {
        const op = paths[openApiPath(route)]?.[route.method];
        const responses = op?.responses as Record<
          string,
          { description: string; content?: Record<string, { schema: Json }> }
        >;
        for (const [status, response] of Object.entries(responses)) {
          expect(typeof response.description, `${name} ${status}`).toBe('string');
          for (const [type, media] of Object.entries(response.content ?? {}))
            expect(schemaProblems(media.schema, `${name} ${status} ${type}`)).toEqual([]);
        }
        if (route.response)
          expect(responses[String(route.status)]?.content?.['application/json'], name).toBeDefined();
        expect(responses.default?.content?.['application/json']?.schema, name).toMatchObject({
          required: ['error'],
        });
      }
    });

    it('matches what the server does: a body field the document does not list is refused', async () => {
      const user = await createUser(t);
      const schema = (
        paths['/api/v1/workspaces']?.post?.requestBody as { content: Record<string, { schema: Json }> }
      ).content['application/json']?.schema;
      expect(Object.keys(schema?.properties as Json).sort()).toEqual(['name', 'template']);
      expectError(
        await user.post('/api/v1/workspaces', { name: 'Fine', template: 'empty', owner: 'someone-else' }),
        400,
        'validation_failed',
      );
      expect((await user.get<{ items: unknown[] }>('/api/v1/workspaces')).body.items).toEqual([]);
    });
  });

  describe('CORS', () => {
    it('grants no other origin access, preflight or not', async () => {
      const foreign = { origin: 'https://evil.example' };
      const preflight = await anon.request('OPTIONS', '/api/v1/auth/me', undefined, {
        ...foreign,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'content-type',
      });
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
      const simple = await anon.get('/healthz', foreign);
      expect(simple.status).toBe(200);
      expect(simple.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('headers', () => {
    it.each([
      ['a health check', '/healthz'],
      ['the OpenAPI document', '/api/v1/openapi.json'],
      ['an error', '/api/v1/no-such-thing'],
      ['a page', '/invite'],
      ['the security policy page', '/security'],
      ['security.txt', '/.well-known/security.txt'],
    ])('sets the security headers on %s', async (_label, path) => {
      const res = await anon.get(path);
      const h = res.headers;
      const csp = h.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("object-src 'none'");
      // Over plain http, upgrading requests would break a local install.
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(h.get('x-content-type-options')).toBe('nosniff');
      expect(h.get('x-frame-options')).toBe('DENY');
      expect(h.get('referrer-policy')).toBe('no-referrer');
      expect(h.get('permissions-policy')).toMatch(/camera=\(\)/);
      expect(h.get('permissions-policy')).toMatch(/microphone=\(\)/);
      // No cohort or topics for advertisers to read from a visit.
      expect(h.get('permissions-policy')).toMatch(/(^|, )interest-cohort=\(\)(,|$)/);
      expect(h.get('permissions-policy')).toMatch(/(^|, )browsing-topics=\(\)(,|$)/);
      expect(h.get('x-powered-by')).toBeNull();
      // HSTS is meaningful only over TLS; this server speaks plain http.
      expect(h.get('strict-transport-security')).toBeNull();
    });

    it('sets them on signed-in API answers too, which are never cached', async () => {
      const user = await createUser(t);
      const me = await user.get('/api/v1/auth/me');
      expect(me.status).toBe(200);
      expect(me.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(me.headers.get('x-frame-options')).toBe('DENY');
      expect(me.headers.get('cache-control')).toBe('no-store');
      expect(me.headers.get('x-powered-by')).toBeNull();
    });

    it('gives every answer a request id, keeping a well-formed incoming one', async () => {
      const fresh = await anon.get('/healthz');
      expect(fresh.headers.get('x-request-id')).toMatch(UUID);
      const other = await anon.get('/healthz');
      expect(other.headers.get('x-request-id')).not.toBe(fresh.headers.get('x-request-id'));

      const kept = await anon.get('/healthz', { 'x-request-id': 'trace-01:edge.a_b' });
      expect(kept.headers.get('x-request-id')).toBe('trace-01:edge.a_b');
      const onError = await anon.get('/api/v1/nothing-here', { 'x-request-id': 'req-404' });
      expect(onError.status).toBe(404);
      expect(onError.headers.get('x-request-id')).toBe('req-404');
    });

    it.each([
      ['spaces', 'has spaces in it'],
      ['markup', '<script>alert(1)</script>'],
      ['a slash', 'a/b'],
      ['65 characters', 'a'.repeat(65)],
      ['a percent sign', 'caf%C3%A9'],
    ])('replaces a malformed incoming request id (%s) with its own', async (_label, incoming) => {
      const res = await anon.get('/healthz', { 'x-request-id': incoming });
      const id = res.headers.get('x-request-id');
      expect(id).not.toBe(incoming);
      expect(id).toMatch(UUID);
    });
  });

  describe('unknown endpoints', () => {
    it.each([
      ['GET', '/api/v1/nope'],
      ['GET', '/api/v2/workspaces'],
      ['POST', '/api/v1/auth/me'],
      ['PUT', '/api/v1/workspaces'],
      ['DELETE', '/healthz'],
      ['GET', '/.well-known/other.txt'],
    ])('answers %s %s with 404 in the error shape', async (method, path) => {
      const res = await anon.request(method, path);
      expectError(res, 404, 'not_found');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('x-request-id')).toMatch(UUID);
    });
  });
});
