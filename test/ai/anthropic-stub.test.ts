import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  credentialOf,
  startAnthropicStub,
  textReply,
  toolUseReply,
  type AnthropicStub,
} from '../support/anthropic-stub.js';

// The stub is the one fake in the test suites, so it is held to the real SDK: every answer here is
// parsed by @anthropic-ai/sdk exactly as an answer of the real API would be.

let stub: AnthropicStub;

beforeAll(async () => {
  stub = await startAnthropicStub();
});
beforeEach(() => stub.reset());
afterAll(async () => {
  await stub.close();
});

function client(options: { maxRetries?: number; timeout?: number } = {}): Anthropic {
  return new Anthropic({ baseURL: stub.url, apiKey: 'test-key', maxRetries: 0, ...options });
}

const question = {
  model: 'claude-test-model',
  max_tokens: 256,
  messages: [{ role: 'user' as const, content: 'Which invoices are overdue?' }],
};

const lookupTool = {
  name: 'find_records',
  description: 'Finds records of a workspace',
  input_schema: {
    type: 'object' as const,
    properties: { entityType: { type: 'string' }, filters: { type: 'array' } },
    required: ['entityType'],
  },
};

const nestedInput = {
  entityType: 'invoice',
  filters: [
    { field: 'status', op: 'eq', value: 'unpaid' },
    { field: 'due', op: 'lt', value: '2026-01-01', meta: { inclusive: false, tags: ['a', 'b'] } },
  ],
  limit: 20,
};

describe('Anthropic Messages stub', () => {
  it('answers a plain text message the SDK parses', async () => {
    stub.enqueue(textReply('Two invoices are overdue.'));

    const message = await client().messages.create(question);

    expect(message.type).toBe('message');
    expect(message.role).toBe('assistant');
    expect(message.id).toMatch(/^msg_/);
    expect(message.model).toBe('claude-test-model');
    expect(message.content).toEqual([{ type: 'text', text: 'Two invoices are overdue.' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.stop_sequence).toBeNull();
    const rawBody = stub.requests[0]!.rawBody;
    expect(message.usage.input_tokens).toBe(Math.ceil(Buffer.byteLength(rawBody) / 4));
    expect(message.usage.output_tokens).toBeGreaterThan(0);
  });

  it('answers tool_use with nested input, scripted usage and model, and a request-id', async () => {
    stub.enqueue({
      ...toolUseReply([{ name: 'find_records', input: nestedInput }], { input_tokens: 11, output_tokens: 7 }),
      model: 'claude-other',
    });

    const { data: message, response } = await client()
      .messages.create({ ...question, tools: [lookupTool], tool_choice: { type: 'auto' } })
      .withResponse();

    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.model).toBe('claude-other');
    expect(message.usage).toMatchObject({ input_tokens: 11, output_tokens: 7 });
    expect(message.content).toHaveLength(1);
    const [block] = message.content;
    expect(block).toMatchObject({ type: 'tool_use', name: 'find_records', input: nestedInput });
    expect(block?.type === 'tool_use' && block.id).toMatch(/^toolu_[A-Za-z0-9]{24}$/);
  });

  it('streams text that messages.stream() and messages.create({ stream: true }) reassemble alike', async () => {
    const text = 'Invoice 14 is overdue by twelve days; invoice 19 by three.';
    stub.enqueue(textReply(text), textReply(text), textReply(text));
    const anthropic = client();

    const plain = await anthropic.messages.create(question);
    const streamed = await anthropic.messages.stream(question).finalMessage();
    const events = await anthropic.messages.create({ ...question, stream: true });
    const deltas: string[] = [];
    const eventTypes: string[] = [];
    for await (const event of events) {
      eventTypes.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
        deltas.push(event.delta.text);
    }

    expect(streamed.content).toEqual(plain.content);
    expect(streamed.stop_reason).toBe('end_turn');
    expect(streamed.usage.output_tokens).toBe(plain.usage.output_tokens);
    // The streamed body is longer by its `"stream":true`, and input tokens follow the body's size.
    expect(streamed.usage.input_tokens).toBe(Math.ceil(Buffer.byteLength(stub.requests[1]!.rawBody) / 4));
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(text);
    expect(eventTypes).toEqual([
      'message_start',
      'content_block_start',
      ...deltas.map(() => 'content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(stub.requests.map((request) => request.stream)).toEqual([false, true, true]);
  });

  it('streams tool_use input as input_json_delta pieces the SDK puts back together', async () => {
    const reply = {
      kind: 'message' as const,
      content: [
        { type: 'text' as const, text: 'Let me look.' },
        {
          type: 'tool_use' as const,
          id: 'toolu_fixedForComparison0001',
          name: 'find_records',
          input: nestedInput,
        },
      ],
      stopReason: 'tool_use' as const,
    };
    stub.enqueue(reply, reply, reply);
    const anthropic = client();
    const params = { ...question, tools: [lookupTool] };

    const plain = await anthropic.messages.create(params);
    const stream = anthropic.messages.stream(params);
    const jsonPieces: string[] = [];
    stream.on('inputJson', (piece) => jsonPieces.push(piece));
    const streamed = await stream.finalMessage();
    const events = await anthropic.messages.create({ ...params, stream: true });
    const partials: string[] = [];
    for await (const event of events) {
      if (event.type === 'content_block_delta' && event.delta.type === 'input_json_delta') {
        partials.push(event.delta.partial_json);
      }
    }

    expect(streamed.content).toEqual(plain.content);
    expect(streamed.content[1]).toEqual({
      type: 'tool_use',
      id: 'toolu_fixedForComparison0001',
      name: 'find_records',
      input: nestedInput,
    });
    expect(streamed.stop_reason).toBe('tool_use');
    expect(jsonPieces.length).toBeGreaterThan(2);
    expect(partials.length).toBeGreaterThan(2);
    expect(JSON.parse(partials.join(''))).toEqual(nestedInput);
  });

  it('lets a reply function read the request it answers', async () => {
    stub.enqueue((request) =>
      textReply(`system prompt: ${String((request.body as { system: string }).system.length)} characters`),
    );

    const message = await client().messages.create({ ...question, system: 'You help with invoices.' });

    expect(message.content).toEqual([{ type: 'text', text: 'system prompt: 23 characters' }]);
  });

  it('answers 429 with retry-after, which the SDK honours before its retry', async () => {
    stub.enqueue({ kind: 'error', status: 429, retryAfterSeconds: 1 }, textReply('after the wait'));
    const started = Date.now();

    const message = await client({ maxRetries: 1 }).messages.create(question);

    // The SDK's own backoff for a first retry is at most 0.5 s, so this wait is the header's.
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(message.content).toEqual([{ type: 'text', text: 'after the wait' }]);
    expect(stub.requests).toHaveLength(2);
    expect(stub.requests.map((request) => request.headers['x-stainless-retry-count'])).toEqual(['0', '1']);
  });

  it('answers 529 overloaded_error, which the SDK throws as its OverloadedError', async () => {
    stub.enqueue({ kind: 'error', status: 529, message: 'Overloaded' });

    const failure = await client({ maxRetries: 0 })
      .messages.create(question)
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(Anthropic.OverloadedError);
    expect(failure).toBeInstanceOf(Anthropic.InternalServerError);
    const error = failure as InstanceType<typeof Anthropic.APIError>;
    expect(error.status).toBe(529);
    expect(error.type).toBe('overloaded_error');
    expect(error.apiMessage).toBe('Overloaded');
    expect(error.headers?.get('x-should-retry')).toBe('true');
    expect(error.requestID).toMatch(/^req_/);
  });

  it('holds a hanging request until the client times out', async () => {
    stub.enqueue({ kind: 'hang' });

    const failure = await client({ maxRetries: 0, timeout: 300 })
      .messages.create(question)
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    expect(stub.requests).toHaveLength(1);
  });

  it('closes promptly while a request hangs', async () => {
    const own = await startAnthropicStub();
    own.setDefault({ kind: 'hang' });
    const pending = fetch(`${own.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': 'test-key',
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
      },
      body: JSON.stringify(question),
    }).then(
      () => 'answered',
      () => 'cut',
    );
    await expect.poll(() => own.requests.length).toBe(1);

    await own.close();

    expect(await pending).toBe('cut');
  });

  it('sends an SSE error event mid-stream, and the stream rejects with it', async () => {
    stub.enqueue({ kind: 'stream_error', type: 'overloaded_error', message: 'Overloaded' });

    const failure = await client()
      .messages.stream(question)
      .finalMessage()
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(Anthropic.APIError);
    const error = failure as InstanceType<typeof Anthropic.APIError>;
    expect(error.type).toBe('overloaded_error');
    expect(error.message).toContain('Overloaded');
    expect(stub.requests[0]!.stream).toBe(true);
  });

  it('answers stream_error to a request that is not streamed with the HTTP error of its type', async () => {
    stub.enqueue({ kind: 'stream_error', type: 'overloaded_error' });

    const failure = await client()
      .messages.create(question)
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(Anthropic.OverloadedError);
  });

  it('refuses a request without max_tokens as invalid_request_error, keeping the scripted reply', async () => {
    stub.enqueue(textReply('kept for the next valid request'));
    const { max_tokens: _omitted, ...withoutMaxTokens } = question;

    const response = await fetch(`${stub.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'x-api-key': 'test-key',
        'anthropic-version': '2023-06-01',
        'content-type': 'application/json',
      },
      body: JSON.stringify(withoutMaxTokens),
    });

    expect(response.status).toBe(400);
    expect(response.headers.get('x-should-retry')).toBe('false');
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toContain('max_tokens');
    const message = await client().messages.create(question);
    expect(message.content).toEqual([{ type: 'text', text: 'kept for the next valid request' }]);
  });

  it.each([
    ['no API key', { 'anthropic-version': '2023-06-01' }, question, 401, 'authentication_error'],
    ['no anthropic-version', { 'x-api-key': 'k' }, question, 400, 'invalid_request_error'],
    ['no messages', undefined, { ...question, messages: [] }, 400, 'invalid_request_error'],
    [
      'a tool without input_schema',
      undefined,
      { ...question, tools: [{ name: 'x' }] },
      400,
      'invalid_request_error',
    ],
    [
      'a tool_result that answers nothing',
      undefined,
      {
        ...question,
        messages: [
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_nope', content: 'x' }] },
        ],
      },
      400,
      'invalid_request_error',
    ],
    [
      'a tool_use left unanswered',
      undefined,
      {
        ...question,
        messages: [
          question.messages[0],
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 'toolu_1', name: 'find_records', input: {} }],
          },
          { role: 'user', content: 'never mind' },
        ],
      },
      400,
      'invalid_request_error',
    ],
  ])('refuses a request with %s', async (_case, headers, body, status, type) => {
    const response = await fetch(`${stub.url}/v1/messages`, {
      method: 'POST',
      headers: headers ?? { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify(body),
    });

    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe(type);
  });

  it('accepts a tool loop whose tool_result answers the tool_use before it', async () => {
    stub.enqueue(textReply('Done.'));

    const message = await client().messages.create({
      ...question,
      tools: [lookupTool],
      messages: [
        question.messages[0]!,
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'toolu_1', name: 'find_records', input: {} }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '[]' }] },
      ],
    });

    expect(message.content).toEqual([{ type: 'text', text: 'Done.' }]);
  });

  it('answers unknown paths with 404 and unscripted requests with a 500 that says so', async () => {
    const notFound = await fetch(`${stub.url}/v1/complete`, { method: 'POST', body: '{}' });
    expect(notFound.status).toBe(404);
    expect(((await notFound.json()) as { error: { type: string } }).error.type).toBe('not_found_error');

    const failure = await client()
      .messages.create(question)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.InternalServerError);
    expect((failure as InstanceType<typeof Anthropic.APIError>).apiMessage).toContain('no reply scripted');
  });

  it('records each request with lower-cased headers and the parsed body', async () => {
    stub.enqueue(textReply('noted'));

    await client().messages.create(
      { ...question, system: 'Be brief.' },
      { headers: { 'X-Trace-Tag': 'abc' } },
    );

    expect(stub.requests).toHaveLength(1);
    const [request] = stub.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/messages', stream: false });
    expect(request!.headers['authorization']).toBe('Bearer test-key');
    expect(credentialOf(request!.headers)).toBe('test-key');
    expect(request!.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(request!.headers['x-trace-tag']).toBe('abc');
    expect(Object.keys(request!.headers).every((name) => name === name.toLowerCase())).toBe(true);
    expect(request!.body).toEqual({ ...question, system: 'Be brief.' });
    expect(JSON.parse(request!.rawBody)).toEqual(request!.body);
  });

  it('uses the default reply once the queue is empty, and reset() empties queue and records', async () => {
    const own = await startAnthropicStub();
    try {
      const anthropic = new Anthropic({ baseURL: own.url, apiKey: 'test-key', maxRetries: 0 });
      own.setDefault(textReply('default answer'));
      own.enqueue(textReply('first'), textReply('dropped by reset'));

      const first = await anthropic.messages.create(question);
      own.reset();
      const second = await anthropic.messages.create(question);

      expect(first.content).toEqual([{ type: 'text', text: 'first' }]);
      expect(second.content).toEqual([{ type: 'text', text: 'default answer' }]);
      expect(own.requests).toHaveLength(1);
    } finally {
      await own.close();
    }
  });
});
