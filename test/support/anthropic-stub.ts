import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A local stand-in for Anthropic's Messages API (`POST /v1/messages`), for tests only. It checks
 * each request as the real API does (so our requests are judged for real), answers with replies a
 * test scripts, streamed or not, in the wire format the official SDK parses, and records what it
 * was sent. Nothing else in the project is faked: the SDK talks to it over real HTTP.
 */

export type StubBlock =
  { type: 'text'; text: string } | { type: 'tool_use'; name: string; input: unknown; id?: string };

export interface StubUsage {
  input_tokens: number;
  output_tokens: number;
}

export type StubReply =
  | {
      kind: 'message';
      content: StubBlock[];
      stopReason?: 'end_turn' | 'tool_use' | 'max_tokens';
      usage?: StubUsage;
      model?: string;
    }
  | { kind: 'error'; status: number; type?: string; message?: string; retryAfterSeconds?: number }
  /** Accepts the request and never answers: the client's timeout must end it. */
  | { kind: 'hang' }
  /**
   * Streamed requests only: starts the stream, then sends an SSE `error` event (e.g.
   * overloaded_error). A request that is not streamed gets the HTTP error the real API answers
   * for that type instead (overloaded_error: 529).
   */
  | { kind: 'stream_error'; type?: string; message?: string };

/** The `message` reply the helpers build, typed so that a test can spread it and change a field. */
export type StubMessageReply = Extract<StubReply, { kind: 'message' }>;

export interface RecordedRequest {
  method: string;
  path: string;
  /** Names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  rawBody: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary request fields
  body: any;
  stream: boolean;
}

export type ScriptedReply = StubReply | ((request: RecordedRequest) => StubReply);

export interface AnthropicStub {
  /** Give this to the SDK as `baseURL`. */
  url: string;
  /** Every request that reached the stub, in order (including ones answered with errors). */
  readonly requests: RecordedRequest[];
  /**
   * Replies are used in order, one per request that passes the API's checks: a request the real
   * API would refuse (400, 401, 404) is answered with that error and leaves the queue alone.
   */
  enqueue(...replies: ScriptedReply[]): void;
  /** Used when the queue is empty; default: a 500 api_error saying no reply was scripted. */
  setDefault(reply: ScriptedReply): void;
  /** Empties the queue and the recorded requests (the default reply stays). */
  reset(): void;
  /** Stops listening and cuts every open connection, hanging ones included. */
  close(): Promise<void>;
}

/** Helper: a message reply whose content is tool_use blocks (stopReason 'tool_use'). */
export function toolUseReply(calls: { name: string; input: unknown }[], usage?: StubUsage): StubMessageReply {
  return {
    kind: 'message',
    content: calls.map(({ name, input }) => ({ type: 'tool_use', name, input })),
    stopReason: 'tool_use',
    ...(usage ? { usage } : {}),
  };
}

/** Helper: a plain text reply. */
export function textReply(text: string, usage?: StubUsage): StubMessageReply {
  return {
    kind: 'message',
    content: [{ type: 'text', text }],
    stopReason: 'end_turn',
    ...(usage ? { usage } : {}),
  };
}

const NO_REPLY_SCRIPTED: StubReply = {
  kind: 'error',
  status: 500,
  type: 'api_error',
  message: 'The Anthropic stub has no reply scripted for this request',
};

const ERROR_TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

const STATUS_BY_ERROR_TYPE: Record<string, number> = Object.fromEntries(
  Object.entries(ERROR_TYPE_BY_STATUS).map(([status, type]) => [type, Number(status)]),
);

function defaultErrorType(status: number): string {
  return ERROR_TYPE_BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/** What the real API says in `x-should-retry`: transient failures yes, the caller's mistakes no. */
function shouldRetry(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomId(prefix: string): string {
  const bytes = randomBytes(24);
  let id = prefix;
  for (const byte of bytes) id += ID_ALPHABET.charAt(byte % ID_ALPHABET.length);
  return id;
}

/** The API counts tokens; a quarter of the bytes is the usual rough equivalent. */
function approximateTokens(text: string): number {
  return Math.max(1, Math.ceil(Buffer.byteLength(text) / 4));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The checks the real API makes before a model sees the request; the first failure, or null. */
function findRequestProblem(body: unknown): string | null {
  if (!isRecord(body)) return 'The request body must be a JSON object';
  if (typeof body.model !== 'string' || body.model === '') return 'model: Field required';
  // The API takes 0 too: it only fills the prompt cache.
  if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 0) {
    return 'max_tokens: Field required, as a non-negative integer';
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return 'messages: at least one message is required';
  }
  const messageProblem = findMessagesProblem(body.messages);
  if (messageProblem) return messageProblem;
  if (body.system !== undefined && !isTextContent(body.system)) {
    return 'system: Input should be a string or a list of text blocks';
  }
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return 'tools: Input should be a valid list';
    const names = new Set<string>();
    for (const [index, tool] of body.tools.entries()) {
      if (!isRecord(tool) || typeof tool.name !== 'string' || tool.name === '') {
        return `tools.${index}.name: Field required`;
      }
      if (names.has(tool.name)) return `tools: Tool names must be unique (${tool.name})`;
      names.add(tool.name);
      // Server tools (web_search_…) carry a versioned type and no schema; custom tools need one.
      const custom = tool.type === undefined || tool.type === 'custom';
      if (custom && (!isRecord(tool.input_schema) || tool.input_schema.type !== 'object')) {
        return `tools.${index}.input_schema: Field required, a JSON schema of type "object"`;
      }
    }
  }
  if (body.tool_choice !== undefined) {
    const choice = body.tool_choice;
    if (!isRecord(choice) || !['auto', 'any', 'tool', 'none'].includes(choice.type as string)) {
      return "tool_choice: Input should be an object with type 'auto', 'any', 'tool' or 'none'";
    }
    if (choice.type === 'tool') {
      const toolNames = Array.isArray(body.tools)
        ? body.tools.map((tool: unknown) => isRecord(tool) && tool.name)
        : [];
      if (typeof choice.name !== 'string' || !toolNames.includes(choice.name)) {
        return 'tool_choice.name: must name one of the tools';
      }
    }
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean')
    return 'stream: Input should be a boolean';
  return null;
}

function isTextContent(value: unknown): boolean {
  return (
    typeof value === 'string' ||
    (Array.isArray(value) &&
      value.every((block) => isRecord(block) && block.type === 'text' && typeof block.text === 'string'))
  );
}

function blocksOf(content: unknown): Record<string, unknown>[] {
  return Array.isArray(content) ? content.filter(isRecord) : [];
}

/**
 * Roles and content shapes, and the tool-use pairing the API insists on: every tool_use of an
 * assistant turn is answered by a tool_result in the very next (user) turn, and a tool_result
 * answers a tool_use of the turn just before it.
 */
function findMessagesProblem(messages: unknown[]): string | null {
  for (const [index, message] of messages.entries()) {
    if (!isRecord(message)) return `messages.${index}: Input should be an object`;
    // The SDK's types also allow a `system` turn inside messages.
    if (!['user', 'assistant', 'system'].includes(message.role as string)) {
      return `messages.${index}.role: Input should be 'user', 'assistant' or 'system'`;
    }
    const content = message.content;
    const validContent =
      typeof content === 'string' ||
      (Array.isArray(content) && content.every((block) => isRecord(block) && typeof block.type === 'string'));
    if (!validContent)
      return `messages.${index}.content: Input should be a string or a list of content blocks`;
    if (message.role === 'system' && !isTextContent(content)) {
      return `messages.${index}.content: a system turn holds text only`;
    }
    for (const block of blocksOf(content)) {
      if (block.type === 'tool_use' && message.role !== 'assistant') {
        return `messages.${index}: tool_use blocks belong to assistant turns`;
      }
      if (block.type === 'tool_result' && message.role !== 'user') {
        return `messages.${index}: tool_result blocks belong to user turns`;
      }
    }
  }
  for (const [index, message] of messages.entries()) {
    const turn = message as Record<string, unknown>;
    const previous = index > 0 ? (messages[index - 1] as Record<string, unknown>) : undefined;
    const askedIds = new Set(
      blocksOf(previous?.content)
        .filter((block) => block.type === 'tool_use')
        .map((block) => block.id),
    );
    for (const block of blocksOf(turn.content)) {
      if (block.type === 'tool_result' && !askedIds.has(block.tool_use_id)) {
        return `messages.${index}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
      }
    }
    const next = messages[index + 1] as Record<string, unknown> | undefined;
    if (turn.role !== 'assistant' || next === undefined) continue;
    const answeredIds = new Set(
      blocksOf(next.content)
        .filter((block) => block.type === 'tool_result')
        .map((block) => block.tool_use_id),
    );
    for (const block of blocksOf(turn.content)) {
      if (block.type === 'tool_use' && !answeredIds.has(block.id)) {
        return `messages.${index}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${String(block.id)}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`;
      }
    }
  }
  return null;
}

interface MessageJson {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: (
    { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown }
  )[];
  stop_reason: string;
  stop_sequence: null;
  usage: {
    input_tokens: number;
    output_tokens: number;
    cache_creation_input_tokens: number;
    cache_read_input_tokens: number;
    service_tier: 'standard';
  };
}

function buildMessage(reply: StubMessageReply, request: RecordedRequest): MessageJson {
  const content = reply.content.map((block) =>
    block.type === 'text'
      ? { type: 'text' as const, text: block.text }
      : {
          type: 'tool_use' as const,
          id: block.id ?? randomId('toolu_'),
          name: block.name,
          input: block.input,
        },
  );
  const hasToolUse = content.some((block) => block.type === 'tool_use');
  return {
    id: randomId('msg_'),
    type: 'message',
    role: 'assistant',
    model: reply.model ?? (request.body as { model: string }).model,
    content,
    stop_reason: reply.stopReason ?? (hasToolUse ? 'tool_use' : 'end_turn'),
    stop_sequence: null,
    usage: {
      input_tokens: reply.usage?.input_tokens ?? approximateTokens(request.rawBody),
      output_tokens: reply.usage?.output_tokens ?? approximateTokens(JSON.stringify(content)),
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      service_tier: 'standard',
    },
  };
}

/** Cuts text into `count` pieces at arbitrary points, as the API's deltas are. */
function splitInto(text: string, count: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / count));
  const pieces: string[] = [];
  for (let start = 0; start < text.length; start += size) pieces.push(text.slice(start, start + size));
  return pieces.length > 0 ? pieces : [''];
}

function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The event sequence of a streamed Message, which the SDK reassembles into `message`. */
function streamEvents(message: MessageJson): string[] {
  const events = [
    sseEvent('message_start', {
      type: 'message_start',
      message: { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 1 } },
    }),
  ];
  message.content.forEach((block, index) => {
    const start = block.type === 'text' ? { type: 'text', text: '' } : { ...block, input: {} };
    events.push(
      sseEvent('content_block_start', { type: 'content_block_start', index, content_block: start }),
    );
    if (index === 0) events.push(sseEvent('ping', { type: 'ping' }));
    const deltas =
      block.type === 'text'
        ? splitInto(block.text, 3).map((text) => ({ type: 'text_delta', text }))
        : splitInto(JSON.stringify(block.input), 4).map((partial_json) => ({
            type: 'input_json_delta',
            partial_json,
          }));
    for (const delta of deltas)
      events.push(sseEvent('content_block_delta', { type: 'content_block_delta', index, delta }));
    events.push(sseEvent('content_block_stop', { type: 'content_block_stop', index }));
  });
  events.push(
    sseEvent('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: message.stop_reason, stop_sequence: null },
      usage: { output_tokens: message.usage.output_tokens },
    }),
    sseEvent('message_stop', { type: 'message_stop' }),
  );
  return events;
}

/**
 * The API key a request carries: the SDK (1.16) sends it as `Authorization: Bearer <key>`, older
 * clients and curl as `x-api-key`; the API takes either.
 */
export function credentialOf(headers: Record<string, string>): string | null {
  const bearer = /^Bearer (\S+)$/i.exec(headers['authorization'] ?? '')?.[1];
  return bearer ?? (headers['x-api-key'] || null);
}

function errorBody(
  type: string,
  message: string,
): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type, message } };
}

export async function startAnthropicStub(): Promise<AnthropicStub> {
  const requests: RecordedRequest[] = [];
  const queue: ScriptedReply[] = [];
  let defaultReply: ScriptedReply = NO_REPLY_SCRIPTED;
  const sockets = new Set<Socket>();

  function sendJson(
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    response.writeHead(status, {
      'content-type': 'application/json',
      'request-id': randomId('req_'),
      ...headers,
    });
    response.end(JSON.stringify(body));
  }

  function sendError(
    response: ServerResponse,
    status: number,
    type?: string,
    message?: string,
    retryAfter?: number,
  ) {
    const headers: Record<string, string> = { 'x-should-retry': String(shouldRetry(status)) };
    if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
    const errorType = type ?? defaultErrorType(status);
    sendJson(response, status, errorBody(errorType, message ?? `Stubbed ${errorType}`), headers);
  }

  function answer(request: RecordedRequest, response: ServerResponse): void {
    if (request.method !== 'POST' || request.path !== '/v1/messages') {
      sendError(response, 404, 'not_found_error', `Not found: ${request.method} ${request.path}`);
      return;
    }
    if (credentialOf(request.headers) === null) {
      sendError(
        response,
        401,
        'authentication_error',
        'x-api-key or Authorization: Bearer header is required',
      );
      return;
    }
    if (!request.headers['anthropic-version']) {
      sendError(response, 400, 'invalid_request_error', 'anthropic-version: header is required');
      return;
    }
    const problem =
      request.body === undefined ? 'The request body is not valid JSON' : findRequestProblem(request.body);
    if (problem) {
      sendError(response, 400, 'invalid_request_error', problem);
      return;
    }

    const scripted = queue.shift() ?? defaultReply;
    let reply: StubReply;
    try {
      reply = typeof scripted === 'function' ? scripted(request) : scripted;
    } catch (error) {
      sendError(response, 500, 'api_error', `The stub's reply function threw: ${String(error)}`);
      return;
    }

    switch (reply.kind) {
      case 'hang':
        return;
      case 'error':
        sendError(response, reply.status, reply.type, reply.message, reply.retryAfterSeconds);
        return;
      case 'stream_error': {
        const type = reply.type ?? 'overloaded_error';
        const message = reply.message ?? 'Overloaded';
        if (!request.stream) {
          sendError(response, STATUS_BY_ERROR_TYPE[type] ?? 500, type, message);
          return;
        }
        const started = buildMessage({ kind: 'message', content: [] }, request);
        response.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': randomId('req_') });
        response.write(streamEvents(started)[0]);
        response.end(sseEvent('error', errorBody(type, message)));
        return;
      }
      case 'message': {
        const message = buildMessage(reply, request);
        if (!request.stream) {
          sendJson(response, 200, message);
          return;
        }
        response.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          'request-id': randomId('req_'),
        });
        for (const event of streamEvents(message)) response.write(event);
        response.end();
        return;
      }
    }
  }

  function record(incoming: IncomingMessage, rawBody: string): RecordedRequest {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    let body: unknown;
    try {
      body = rawBody === '' ? undefined : JSON.parse(rawBody);
    } catch {
      body = undefined;
    }
    const recorded: RecordedRequest = {
      method: incoming.method ?? '',
      path: new URL(incoming.url ?? '/', 'http://stub').pathname,
      headers,
      rawBody,
      body,
      stream: isRecord(body) && body.stream === true,
    };
    requests.push(recorded);
    return recorded;
  }

  const server = createServer((incoming, response) => {
    // A client that gives up mid-request (its timeout, an abort) is expected, not a failure.
    incoming.on('error', () => undefined);
    response.on('error', () => undefined);
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => answer(record(incoming, Buffer.concat(chunks).toString('utf8')), response));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('The Anthropic stub has no port');

  return {
    url: `http://127.0.0.1:${String(address.port)}`,
    requests,
    enqueue(...replies) {
      queue.push(...replies);
    },
    setDefault(reply) {
      defaultReply = reply;
    },
    reset() {
      queue.length = 0;
      requests.length = 0;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Hanging requests and idle keep-alive connections would otherwise hold close() open.
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
