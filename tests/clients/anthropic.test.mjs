// The official `@anthropic-ai/sdk` against `switchyard serve`'s /v1/messages,
// routed to an Anthropic-format upstream (passthrough) and to an OpenAI-format
// and a Gemini-format upstream (translated), all served by the mock.
// SPDX-License-Identifier: GPL-3.0-or-later

import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';

import { FORMAT_MODELS, TOKEN, mockAnswer, startMock, startRouterAllFormats } from './lib.mjs';

const MODELS = FORMAT_MODELS;

const TOOLS = [{
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
}];

/* Tests sit at the top level, not in a describe(): meson 1.0's TAP parser does
 * not read node's indented subtest lines. */
let mock;
let router;
let client;

before(async () => {
  mock = await startMock();
  router = await startRouterAllFormats(mock);
  /* The SDK appends /v1/messages to the base URL; the token goes as x-api-key. */
  client = new Anthropic({ baseURL: `http://127.0.0.1:${router.port}`, apiKey: TOKEN, maxRetries: 0, timeout: 20000 });
});

after(async () => {
  await router?.stop();
  await mock?.stop();
});

beforeEach(async () => {
  await mock.reset();
});

function assertUsage (usage) {
  assert.ok(usage.input_tokens > 0, `input_tokens > 0: ${JSON.stringify(usage)}`);
  assert.ok(usage.output_tokens > 0, `output_tokens > 0: ${JSON.stringify(usage)}`);
  assert.equal(typeof usage.cost, 'number', `usage.cost is a number: ${JSON.stringify(usage)}`);
  assert.ok(usage.cost > 0);
}

for (const [upstream, model] of Object.entries(MODELS)) {
  test(`messages.create via ${upstream}: text, stop reason, usage with cost`, async () => {
    const { data, response } = await client.messages.create({
      model,
      max_tokens: 256,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Say hello' }],
    }).withResponse();

    assert.equal(data.type, 'message');
    assert.equal(data.role, 'assistant');
    assert.equal(data.content.length, 1);
    assert.equal(data.content[0].type, 'text');
    assert.equal(data.content[0].text, mockAnswer());
    assert.equal(data.stop_reason, 'end_turn');
    assertUsage(data.usage);
    assert.equal(response.headers.get('x-switchyard-provider'), model.split('/')[0]);
  });

  test(`messages.stream via ${upstream}: text events and the final message`, async () => {
    const stream = client.messages.stream({
      model,
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    let text = '';
    let deltaUsage = null;
    stream.on('text', (delta) => { text += delta; });
    stream.on('streamEvent', (event) => {
      if (event.type === 'message_delta')
        deltaUsage = event.usage;
    });
    const final = await stream.finalMessage();

    assert.equal(text, mockAnswer());
    assert.equal(final.content[0].text, mockAnswer());
    assert.equal(final.stop_reason, 'end_turn');
    assert.ok(final.usage.input_tokens > 0 && final.usage.output_tokens > 0, JSON.stringify(final.usage));
    /* The SDK keeps only the token counts it knows; the cost rides in the
     * message_delta event's usage, where the stream's last figures are. */
    assert.ok(deltaUsage, 'a message_delta event');
    assert.equal(typeof deltaUsage.cost, 'number', `message_delta usage.cost: ${JSON.stringify(deltaUsage)}`);
    assert.ok(deltaUsage.cost > 0);
  });

  test(`tools via ${upstream}: tool_use, then the tool_result answered`, async () => {
    const messages = [{ role: 'user', content: 'call tool: the weather in Paris' }];
    const first = await client.messages.create({ model, max_tokens: 256, tools: TOOLS, messages });

    assert.equal(first.stop_reason, 'tool_use');
    const use = first.content.find((block) => block.type === 'tool_use');
    assert.ok(use, `a tool_use block: ${JSON.stringify(first.content)}`);
    assert.equal(use.name, 'get_weather');
    assert.deepEqual(use.input, { city: 'Paris' });
    assert.ok(use.id.length > 0);

    /* The same call streamed: input_json_delta fragments build the same input. */
    const streamed = await client.messages.stream({ model, max_tokens: 256, tools: TOOLS, messages }).finalMessage();
    const streamedUse = streamed.content.find((block) => block.type === 'tool_use');
    assert.equal(streamedUse.name, 'get_weather');
    assert.deepEqual(streamedUse.input, { city: 'Paris' });

    messages.push({ role: 'assistant', content: first.content });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '{"temp_c":21}' }] });
    const second = await client.messages.create({ model, max_tokens: 256, tools: TOOLS, messages });
    assert.equal(second.content[0].text, mockAnswer());

    const { requests } = await mock.requests();
    const sent = JSON.stringify(requests[requests.length - 1].body);
    assert.ok(sent.includes('temp_c'), `the tool result reached the upstream: ${sent}`);
  });
}

test('an upstream failure is an Anthropic error the SDK raises, with the status', async () => {
  await mock.faults([{ kind: 'status', status: 529, count: 3 }]);
  await assert.rejects(
    client.messages.create({ model: MODELS.anthropic, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }),
    (error) => {
      assert.equal(error.status, 529);
      assert.equal(error.error?.type, 'error');
      assert.equal(error.error?.error?.type, 'overloaded_error');
      return true;
    });
});

test('a bad request is refused in Anthropic\'s shape before routing', async () => {
  await assert.rejects(
    client.messages.create({ model: MODELS.openai, max_tokens: 64, messages: [{ role: 'robot', content: 'hi' }] }),
    (error) => {
      assert.equal(error.status, 400);
      assert.equal(error.error?.error?.type, 'invalid_request_error');
      assert.match(error.error.error.message, /role/);
      return true;
    });
});
