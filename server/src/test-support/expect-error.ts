import { ErrorBody, type ErrorCode } from '@enclave/shared';
import { expect } from 'vitest';
import type { TestResponse } from './test-client';

const STACK_FRAME = /\bat [^\s]+ \(|\bat .*:\d+:\d+|node:internal|node_modules|\/src\/|\.[cm]?[jt]s:\d+/;

/** The one error shape, with the expected status and code, and nothing of the server's insides. */
export function expectError(res: TestResponse, status: number, code: ErrorCode, label = ''): void {
  const where = `${label} → ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, where).toBe(status);
  expect(res.headers.get('content-type') ?? '', where).toMatch(/^application\/json/);
  expect(ErrorBody.strict().safeParse(res.body).success, where).toBe(true);
  const { error } = res.body as ErrorBody;
  expect(
    Object.keys(error).every((k) => ['code', 'message', 'details'].includes(k)),
    where,
  ).toBe(true);
  expect(error.code, where).toBe(code);
  expect(res.text, where).not.toMatch(STACK_FRAME);
  expect(res.text, where).not.toMatch(/"stack"|Error:/);
}
