// The official `openai` Node SDK against a running `switchyard serve`, whose
// provider `openai` points at the mock upstream.
// SPDX-License-Identifier: GPL-3.0-or-later

import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import OpenAI from 'openai';

import { MODEL, TOKEN, mockAnswer, startMock, startRouter } from './lib.mjs';

const TOOLS = [{
  type: 'function',
  function: {
    name: 'get_weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
  },
}];

function clientFor (router, apiKey = TOKEN) {
  return new OpenAI({ baseURL: router.baseURL, apiKey, maxRetries: 0, timeout: 20000 });
}

function hi (extra = {}) {
  return { model: MODEL, messages: [{ role: 'user', content: 'hi' }], ...extra };
}

/* Consumes a stream; returns what arrived before it ended or threw. */
async function drain (stream) {
  const chunks = [];
  let text = '';
  let error = null;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices?.[0]?.delta?.content ?? '';
    }
  } catch (e) {
    error = e;
  }
  return { chunks, text, error };
}

/* Tests sit at the top level, not in a describe(): meson 1.0's TAP parser does
 * not read node's indented subtest lines, so only top-level results count. */
let mock;
let router;
let client;

before(async () => {
  mock = await startMock();
  router = await startRouter(mock);
  client = clientFor(router);
});

after(async () => {
  await router?.stop();
  await mock?.stop();
});

beforeEach(async () => {
  await mock.reset();
});

test('plain completion: text, usage with cost, switchyard headers', async () => {
  const { data, response } = await client.chat.completions.create(hi()).withResponse();

  assert.equal(data.object, 'chat.completion');
  assert.equal(data.choices.length, 1);
  assert.equal(data.choices[0].message.role, 'assistant');
  assert.equal(data.choices[0].message.content, mockAnswer());
  assert.equal(data.choices[0].finish_reason, 'stop');

  assert.ok(data.usage.prompt_tokens > 0, 'prompt_tokens > 0');
  assert.ok(data.usage.completion_tokens > 0, 'completion_tokens > 0');
  assert.equal(data.usage.total_tokens, data.usage.prompt_tokens + data.usage.completion_tokens);
  assert.equal(typeof data.usage.cost, 'number', `usage.cost is a number: ${JSON.stringify(data.usage)}`);
  assert.ok(data.usage.cost > 0, 'usage.cost > 0');

  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-switchyard-provider'), 'openai');
  assert.equal(response.headers.get('x-switchyard-model'), 'gpt-4.1-mini');
  assert.equal(response.headers.get('x-switchyard-attempts'), '1');
  assert.ok(response.headers.get('x-switchyard-request-id'), 'x-switchyard-request-id present');

  /* The upstream saw the provider's own model name and key, not ours. */
  const { requests } = await mock.requests();
  const chat = requests.filter((r) => r.path === '/v1/chat/completions');
  assert.equal(chat.length, 1);
  assert.equal(chat[0].body.model, 'gpt-4.1-mini');
  const auth = Object.entries(chat[0].headers).find(([k]) => k.toLowerCase() === 'authorization');
  assert.equal(auth?.[1], 'Bearer sk-test');
});

test('asResponse exposes the raw response with the headers', async () => {
  const response = await client.chat.completions.create(hi()).asResponse();
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('x-switchyard-provider'), 'openai');
  assert.equal(response.headers.get('x-switchyard-model'), 'gpt-4.1-mini');
  const body = await response.json();
  assert.equal(body.choices[0].message.content, mockAnswer());
});

test('streamed completion: same text, final chunk carries usage with cost', async () => {
  const { data: stream, response } = await client.chat.completions
    .create(hi({ stream: true }))
    .withResponse();
  assert.equal(response.headers.get('x-switchyard-provider'), 'openai');
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);

  const { chunks, text, error } = await drain(stream);
  assert.equal(error, null);
  assert.equal(text, mockAnswer());
  assert.ok(chunks.length >= 5, `at least 5 chunks, got ${chunks.length}`);
  assert.ok(chunks.some((c) => c.choices?.[0]?.finish_reason === 'stop'), 'a chunk says finish_reason stop');

  const last = chunks.at(-1);
  assert.ok(last.usage, `final chunk has usage: ${JSON.stringify(last)}`);
  assert.ok(last.usage.prompt_tokens > 0);
  assert.ok(last.usage.completion_tokens > 0);
  assert.equal(typeof last.usage.cost, 'number');
  assert.ok(last.usage.cost > 0);
  /* Only the final chunk carries usage. */
  assert.ok(chunks.slice(0, -1).every((c) => !c.usage), 'no usage before the final chunk');

  /* The client did not ask for usage; the router asked upstream for it. */
  const { requests } = await mock.requests();
  const body = requests.find((r) => r.path === '/v1/chat/completions').body;
  assert.equal(body.stream, true);
  assert.equal(body.stream_options?.include_usage, true);
});

test('streamed chunks arrive as the upstream sends them (no buffering)', async () => {
  /* 5 content chunks, each 120 ms apart upstream. */
  await mock.faults([{ kind: 'drip', delay_ms: 120 }]);
  const start = performance.now();
  const stream = await client.chat.completions.create(hi({ stream: true }));
  const times = [];
  let text = '';
  for await (const chunk of stream) {
    const delta = chunk.choices?.[0]?.delta?.content;
    if (delta) {
      times.push(performance.now() - start);
      text += delta;
    }
  }
  const end = performance.now() - start;
  assert.equal(text, mockAnswer());
  assert.equal(times.length, 5);
  const spread = times.at(-1) - times[0];
  assert.ok(spread >= 300, `first to last content chunk ${spread.toFixed(0)} ms, want >= 300`);
  assert.ok(end - times[0] >= 300,
            `first chunk at ${times[0].toFixed(0)} ms of ${end.toFixed(0)} ms: it must come well before the end`);
  /* Successive chunks are spread out, not delivered in one burst. */
  for (let i = 1; i < times.length; i++)
    assert.ok(times[i] - times[i - 1] >= 50,
              `chunk ${i} came ${(times[i] - times[i - 1]).toFixed(0)} ms after chunk ${i - 1}`);
});

test('tool call: finish_reason tool_calls, name and arguments', async () => {
  const completion = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'call tool please' }],
    tools: TOOLS,
  });
  const choice = completion.choices[0];
  assert.equal(choice.finish_reason, 'tool_calls');
  assert.equal(choice.message.tool_calls?.length, 1);
  const call = choice.message.tool_calls[0];
  assert.equal(call.type, 'function');
  assert.ok(call.id, 'tool call has an id');
  assert.equal(call.function.name, 'get_weather');
  assert.equal(JSON.parse(call.function.arguments).city, 'Paris');

  /* The tools reached the upstream. */
  const { requests } = await mock.requests();
  const body = requests.find((r) => r.path === '/v1/chat/completions').body;
  assert.equal(body.tools?.[0]?.function?.name, 'get_weather');
});

test('streamed tool call: argument deltas add up', async () => {
  const stream = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: 'call tool please' }],
    tools: TOOLS,
    stream: true,
  });
  const calls = [];
  let finish = null;
  for await (const chunk of stream) {
    const choice = chunk.choices?.[0];
    if (!choice)
      continue;
    for (const d of choice.delta?.tool_calls ?? []) {
      const c = (calls[d.index] ??= { id: '', name: '', args: '' });
      if (d.id) c.id = d.id;
      if (d.function?.name) c.name += d.function.name;
      if (d.function?.arguments) c.args += d.function.arguments;
    }
    if (choice.finish_reason)
      finish = choice.finish_reason;
  }
  assert.equal(finish, 'tool_calls');
  assert.equal(calls.length, 1);
  assert.ok(calls[0].id, 'tool call has an id');
  assert.equal(calls[0].name, 'get_weather');
  assert.equal(JSON.parse(calls[0].args).city, 'Paris');
});

test('wrong token: AuthenticationError 401', async () => {
  const bad = clientFor(router, 'sy-wrong-token');
  await assert.rejects(bad.chat.completions.create(hi()), (e) => {
    assert.ok(e instanceof OpenAI.AuthenticationError, `${e.constructor.name}: ${e.message}`);
    assert.equal(e.status, 401);
    return true;
  });
  /* Nothing reached the upstream. */
  const { count } = await mock.requests();
  assert.equal(count, 0);
});

test('unknown model: NotFoundError 404 with a message', async () => {
  await assert.rejects(client.chat.completions.create(hi({ model: 'nope/xyz' })), (e) => {
    assert.ok(e instanceof OpenAI.NotFoundError, `${e.constructor.name}: ${e.message}`);
    assert.equal(e.status, 404);
    assert.ok(e.error?.message?.length > 0, 'error.message is set');
    assert.match(e.message, /nope\/xyz/);
    return true;
  });
});

test('upstream 400: BadRequestError, not retried', async () => {
  await mock.faults([{ kind: 'status', status: 400 }]);
  await assert.rejects(client.chat.completions.create(hi()), (e) => {
    assert.ok(e instanceof OpenAI.BadRequestError, `${e.constructor.name}: ${e.message}`);
    assert.equal(e.status, 400);
    assert.ok(e.error?.message, 'error.message is set');
    return true;
  });
  const { count } = await mock.requests();
  assert.equal(count, 1, 'a 400 is not retried');
});

test('persistent 429: RateLimitError once every attempt failed', async () => {
  await mock.faults([{ kind: 'status', status: 429, retry_after: '0', count: 20 }]);
  await assert.rejects(client.chat.completions.create(hi()), (e) => {
    assert.ok(e instanceof OpenAI.RateLimitError, `${e.constructor.name}: ${e.message}`);
    assert.equal(e.status, 429);
    const attempts = Number(e.headers?.get('x-switchyard-attempts'));
    assert.ok(attempts > 1, `retried before giving up (attempts ${attempts})`);
    return true;
  });
  const { count } = await mock.requests();
  assert.ok(count > 1, `upstream saw ${count} requests`);
});

test('429 then success: retried transparently', async () => {
  await mock.faults([{ kind: 'status', status: 429, retry_after: '0' }]);
  const { data, response } = await client.chat.completions.create(hi()).withResponse();
  assert.equal(data.choices[0].message.content, mockAnswer());
  assert.equal(response.headers.get('x-switchyard-attempts'), '2');
});

test('cut mid-stream: the first chunks arrive, then iteration throws', async () => {
  await mock.faults([{ kind: 'cut', after_chunks: 2 }]);
  const stream = await client.chat.completions.create(hi({ stream: true }));
  const { chunks, text, error } = await drain(stream);
  assert.ok(chunks.length >= 1, `got ${chunks.length} chunks before the error`);
  assert.ok(text.length > 0 && mockAnswer().startsWith(text) && text !== mockAnswer(),
            `partial text ${JSON.stringify(text)}`);
  assert.ok(error, 'the stream iteration threw');
  assert.ok(error instanceof OpenAI.APIError, `${error.constructor.name}: ${error.message}`);
  assert.ok(error.message.length > 0);
});

test('history: one row per request with tokens, cost and timings', async () => {
  const plain = await client.chat.completions.create(hi()).withResponse();
  const streamed = await client.chat.completions.create(hi({ stream: true })).withResponse();
  await drain(streamed.data);
  const ids = [plain.response, streamed.response].map((r) => r.headers.get('x-switchyard-request-id'));
  assert.ok(ids.every((id) => /^sy-[0-9a-f]+$/.test(id)));

  /* Rows are written in batches on their own thread: poll the WAL database. */
  const query = `SELECT request_id, status, stream, prompt_tokens, completion_tokens, cost,
                        ttft_ms, total_ms FROM requests WHERE request_id IN ('${ids.join("','")}')`;
  let rows = [];
  for (let i = 0; i < 100 && rows.length < 2; i++) {
    const out = execFileSync('sqlite3', ['-json', router.dbPath, query], { encoding: 'utf8' });
    rows = out.trim() ? JSON.parse(out) : [];
    if (rows.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(rows.length, 2);
  for (const row of rows) {
    assert.equal(row.status, 200);
    assert.ok(row.prompt_tokens > 0 && row.completion_tokens === 5, JSON.stringify(row));
    assert.ok(row.cost > 0, JSON.stringify(row));
    assert.ok(row.ttft_ms > 0 && row.total_ms >= row.ttft_ms, JSON.stringify(row));
  }
  assert.deepEqual(rows.map((r) => r.stream).sort(), [0, 1]);
});

test('models: list and retrieve, ids with a slash included', async () => {
  const ids = [];
  for await (const model of client.models.list()) ids.push(model.id);
  assert.ok(ids.includes('openai/gpt-4.1-mini'));
  assert.ok(ids.length >= 40);
  const one = await client.models.retrieve('openai/gpt-4.1-mini');
  assert.equal(one.id, 'openai/gpt-4.1-mini');
  assert.equal(one.owned_by, 'openai');
  await assert.rejects(client.models.retrieve('nope/none'), (e) => e.status === 404);
});
