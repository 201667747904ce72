// Helpers shared by the client tests: start the mock upstream and
// `switchyard serve` as child processes, talk to the mock's control API,
// stop everything cleanly.
// SPDX-License-Identifier: GPL-3.0-or-later

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');

export const TOKEN = 'sy-test-token';
export const MODEL = 'openai/gpt-4.1-mini';

/* meson sets both; the fallbacks let `node --test` run from a checkout. */
export const SWITCHYARD_BIN =
  process.env.SWITCHYARD_BIN || join(root, '_build', 'src', 'switchyard');
export const MOCK_UPSTREAM_BIN =
  process.env.MOCK_UPSTREAM_BIN || join(root, '_build', 'tests', 'mock-upstream');

/* The mock's answer: "Hello from mock. w1 w2 …", one word per streamed chunk. */
export function mockAnswer (chunks = 5) {
  const words = ['Hello', 'from', 'mock.'];
  for (let i = 1; words.length < chunks; i++)
    words.push(`w${i}`);
  return words.slice(0, chunks).join(' ');
}

/* Spawns @bin, resolves with the first match of @pattern on its stdout.
 * Rejects when the process exits first or after @timeoutMs. */
function spawnListening (bin, args, env, pattern, timeoutMs = 10000) {
  const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { stderr += d; if (stderr.length > 65536) stderr = stderr.slice(-32768); });
  child.stdout.setEncoding('utf8');

  child.exited = new Promise((res) => child.once('exit', (code, signal) => res({ code, signal })));

  return new Promise((res, rej) => {
    let settled = false;
    const fail = (why) => {
      if (settled)
        return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      rej(new Error(`${bin} ${why}\nstdout: ${stdout}\nstderr: ${stderr}`));
    };
    const timer = setTimeout(() => fail(`did not print its listening line within ${timeoutMs} ms`), timeoutMs);
    const onData = (d) => {
      stdout += d;
      const m = stdout.match(pattern);
      if (m && !settled) {
        settled = true;
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stdout.resume();          /* keep draining so the pipe never fills */
        res({ child, match: m, stderr: () => stderr });
      }
    };
    child.stdout.on('data', onData);
    child.once('error', (e) => fail(`failed to start: ${e.message}`));
    child.once('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
  });
}

/* SIGTERM, then wait for the exit (SIGKILL after @graceMs). Resolves with
 * { code, signal }. */
export async function stopProcess (child, graceMs = 5000) {
  if (!child || child.exitCode !== null || child.signalCode !== null)
    return child ? { code: child.exitCode, signal: child.signalCode } : null;
  child.kill('SIGTERM');
  let timer;
  const killed = new Promise((res) => {
    timer = setTimeout(() => { child.kill('SIGKILL'); res(); }, graceMs);
  });
  const result = await Promise.race([child.exited, killed.then(() => child.exited)]);
  clearTimeout(timer);
  return result;
}

function childEnv (extra = {}) {
  return {
    ...process.env,
    DBUS_SESSION_BUS_ADDRESS: '',   /* no keyring: keys come from the environment */
    ...extra,
  };
}

export async function startMock (args = []) {
  const { child, match, stderr } = await spawnListening(
    MOCK_UPSTREAM_BIN, ['--port', '0', ...args], childEnv(),
    /listening on http:\/\/127\.0\.0\.1:(\d+)/);
  const port = Number(match[1]);
  const url = `http://127.0.0.1:${port}`;

  const control = async (method, path, body) => {
    const r = await fetch(url + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!r.ok)
      throw new Error(`mock ${method} ${path}: HTTP ${r.status} ${await r.text()}`);
    return r.json();
  };

  return {
    child,
    port,
    url,
    stderr,
    faults: (list) => control('POST', '/_mock/faults', list),
    reset: () => control('POST', '/_mock/reset'),
    requests: () => control('GET', '/_mock/requests'),
    stop: () => stopProcess(child),
  };
}

/* Starts `switchyard serve` with a config whose provider `openai` points at
 * @mock. @extraConfig is merged at the top level of the config. */
export async function startRouter (mock, { extraConfig = {}, env = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-clients-'));
  const config = {
    server: { port: 0, token: TOKEN, first_byte_timeout: 5 },
    providers: [{ id: 'openai', base_url: `${mock.url}/v1` }],
    ...extraConfig,
  };
  const configPath = join(dir, 'config.json');
  const dbPath = join(dir, 'history.db');
  writeFileSync(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });

  const { child, match, stderr } = await spawnListening(
    SWITCHYARD_BIN,
    ['serve', '--config', configPath, '--db', dbPath, '--port', '0'],
    childEnv({ OPENAI_API_KEY: 'sk-test', ANTHROPIC_API_KEY: 'sk-ant-test', ...env }),
    /listening on (http:\/\/127\.0\.0\.1:(\d+)\/v1)/);

  return {
    child,
    dir,
    dbPath,
    baseURL: match[1],
    port: Number(match[2]),
    stderr,
    async stop () {
      const r = await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
      return r;
    },
  };
}

/* The three upstream formats, each a catalog provider pointed at @mock:
 * `openai` (Chat Completions), `anthropic` (Messages), `google` (Gemini). */
export const FORMAT_MODELS = {
  openai: 'openai/gpt-4.1-mini',
  anthropic: 'anthropic/claude-sonnet-4-5',
  gemini: 'google/gemini-2.5-flash',
};

export function startRouterAllFormats (mock) {
  return startRouter(mock, {
    extraConfig: {
      providers: [
        { id: 'openai', base_url: `${mock.url}/v1` },
        { id: 'anthropic', base_url: `${mock.url}/v1` },
        { id: 'google', base_url: `${mock.url}/v1beta` },
      ],
    },
    env: { GEMINI_API_KEY: 'AIza-test-key' },
  });
}
