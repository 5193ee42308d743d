export interface TestResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/**
 * A minimal browser stand-in: keeps the session cookie, sends the server's own Origin on every
 * request (as a browser on the console would), and parses JSON answers.
 */
export class TestClient {
  cookie: string | null = null;
  email = '';
  password = '';
  userId = '';
  origin: string | null;

  constructor(readonly baseUrl: string) {
    this.origin = baseUrl;
  }

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<TestResponse<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.cookie && h.cookie === undefined) h.cookie = this.cookie;
    if (this.origin && h.origin === undefined) h.origin = this.origin;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await fetch(this.baseUrl + path, { method, headers: h, body: payload, redirect: 'manual' });
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('enclave_session='));
    if (setCookie) {
      const value = setCookie.split(';')[0] ?? '';
      this.cookie =
        /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(setCookie) || value === 'enclave_session=' ? null : value;
    }
    const text = await res.text();
    let parsed: unknown = text;
    if (res.headers.get('content-type')?.includes('application/json') && text) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  get<T = unknown>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }
  post<T = unknown>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
  put<T = unknown>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('PUT', path, body, headers);
  }
  patch<T = unknown>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('PATCH', path, body, headers);
  }
  delete<T = unknown>(path: string, headers?: Record<string, string>) {
    return this.request<T>('DELETE', path, undefined, headers);
  }
}
