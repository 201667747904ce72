// Mid-stream rescue seen by the official `openai` Node SDK: the mock cuts the
// stream of the profile's first model, the router continues on the second, and
// the client reads one complete answer.
// SPDX-License-Identifier: GPL-3.0-or-later

import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

import { TOKEN, mockAnswer, startMock, startRouter } from './lib.mjs';

/* Tests sit at the top level, not in a describe(): meson 1.0's TAP parser does
 * not read node's indented subtest lines, so only top-level results count. */
let mock;
let router;
let client;

before(async () => {
  mock = await startMock();
  router = await startRouter(mock, {
    extraConfig: {
      providers: [
        { id: 'openai', base_url: `${mock.url}/v1` },
        { id: 'groq', base_url: `${mock.url}/v1` },
      ],
      profiles: [{
        name: 'resilient',
        rescue: true,
        models: ['openai/gpt-4.1-mini', 'groq/llama-3.3-70b-versatile'],
      }],
    },
    env: { GROQ_API_KEY: 'gsk-test' },
  });
  client = new OpenAI({ baseURL: router.baseURL, apiKey: TOKEN, maxRetries: 0, timeout: 20000 });
});

after(async () => {
  await router?.stop();
  await mock?.stop();
});

beforeEach(async () => {
  await mock.reset();
});

test('a stream cut after 5 chunks is continued: one answer, no error', async () => {
  /* The role delta and four words get through: "Hello from mock. w1". */
  await mock.faults([{ kind: 'cut', after_chunks: 5 }]);

  const stream = await client.chat.completions.create({
    model: 'resilient',
    messages: [{ role: 'user', content: 'Say hello' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  let finish = null;
  let usage = null;
  let error = null;
  try {
    for await (const chunk of stream) {
      text += chunk.choices?.[0]?.delta?.content ?? '';
      finish = chunk.choices?.[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
  } catch (e) {
    error = e;
  }

  assert.equal(error, null, `no error: ${error?.message}`);
  assert.equal(text, mockAnswer(4) + mockAnswer(5));
  assert.equal(finish, 'stop');
  assert.ok(usage && usage.completion_tokens > 5, `usage counts both parts: ${JSON.stringify(usage)}`);

  /* The second request carried the partial answer and asked to go on. */
  const log = await mock.requests();
  assert.equal(log.count, 2);
  const messages = log.requests[1].body.messages;
  assert.equal(log.requests[1].body.model, 'llama-3.3-70b-versatile');
  assert.deepEqual(messages.slice(1).map((m) => m.role), ['assistant', 'user']);
  assert.equal(messages[1].content, mockAnswer(4));
  assert.match(messages[2].content, /^Continue exactly where/);
});
