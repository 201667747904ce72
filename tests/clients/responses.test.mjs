// The official `openai` SDK's Responses API (`responses.create`, plain and
// streamed) against `switchyard serve`'s stateless /v1/responses, routed to an
// OpenAI-format, an Anthropic-format and a Gemini-format upstream (the mock).
// SPDX-License-Identifier: GPL-3.0-or-later

import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

import { FORMAT_MODELS, TOKEN, mockAnswer, startMock, startRouterAllFormats } from './lib.mjs';

const MODELS = FORMAT_MODELS;

const TOOLS = [{
  type: 'function',
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
}];

/* Tests sit at the top level, not in a describe(): meson 1.0's TAP parser does
 * not read node's indented subtest lines. */
let mock;
let router;
let client;

before(async () => {
  mock = await startMock();
  router = await startRouterAllFormats(mock);
  client = new OpenAI({ baseURL: router.baseURL, apiKey: TOKEN, maxRetries: 0, timeout: 20000 });
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
  assert.equal(usage.total_tokens, usage.input_tokens + usage.output_tokens);
  assert.equal(typeof usage.cost, 'number', `usage.cost is a number: ${JSON.stringify(usage)}`);
  assert.ok(usage.cost > 0);
}

for (const [upstream, model] of Object.entries(MODELS)) {
  test(`responses.create via ${upstream}: output_text, status, usage with cost`, async () => {
    const { data, response } = await client.responses.create({
      model,
      instructions: 'Be brief.',
      input: 'Say hello',
    }).withResponse();

    assert.equal(data.object, 'response');
    assert.equal(data.status, 'completed');
    assert.equal(data.output_text, mockAnswer());
    assertUsage(data.usage);
    assert.equal(response.headers.get('x-switchyard-provider'), model.split('/')[0]);
  });

  test(`responses.create stream via ${upstream}: deltas, then response.completed`, async () => {
    const stream = await client.responses.create({ model, input: 'Say hello', stream: true });
    const types = [];
    let text = '';
    let completed = null;
    let last = -1;
    for await (const event of stream) {
      types.push(event.type);
      assert.ok(event.sequence_number > last, 'sequence numbers increase');
      last = event.sequence_number;
      if (event.type === 'response.output_text.delta')
        text += event.delta;
      if (event.type === 'response.completed')
        completed = event.response;
    }
    assert.equal(types[0], 'response.created');
    assert.equal(text, mockAnswer());
    assert.ok(completed, `response.completed arrived: ${types.join(' ')}`);
    assert.equal(completed.output_text ?? completed.output[0].content[0].text, mockAnswer());
    assertUsage(completed.usage);
  });

  test(`function tools via ${upstream}: function_call, then its output answered`, async () => {
    const first = await client.responses.create({ model, tools: TOOLS, input: 'call tool: the weather in Paris' });
    const call = first.output.find((item) => item.type === 'function_call');
    assert.ok(call, `a function_call item: ${JSON.stringify(first.output)}`);
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });

    /* The ResponseStream helper accumulates the same call from its deltas. */
    const stream = client.responses.stream({ model, tools: TOOLS, input: 'call tool: the weather in Paris' });
    const streamed = await stream.finalResponse();
    const streamedCall = streamed.output.find((item) => item.type === 'function_call');
    assert.equal(streamedCall.name, 'get_weather');
    assert.deepEqual(JSON.parse(streamedCall.arguments), { city: 'Paris' });

    const second = await client.responses.create({
      model,
      tools: TOOLS,
      input: [
        { role: 'user', content: 'call tool: the weather in Paris' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: '{"temp_c":21}' },
      ],
    });
    assert.equal(second.output_text, mockAnswer());
  });
}

test('previous_response_id is refused: the endpoint is stateless', async () => {
  await assert.rejects(
    client.responses.create({ model: MODELS.openai, input: 'hi', previous_response_id: 'resp_123' }),
    (error) => {
      assert.equal(error.status, 400);
      assert.match(error.message, /stateless/);
      return true;
    });
});
