import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ulid } from 'ulid';
import { freePort, portOpen } from '../scripts/servers/servers.js';
import { TestClient } from './client.js';

/**
 * `npm start` itself, on local defaults: it starts its own Redis, FerretDB and Temporal with data in
 * MCHAT_DATA_DIR, the gateway, worker, demo agent and web app, prints the URL, and Ctrl-C stops all
 * of it. A second start on the same folder still has the chats.
 */
describe('npm start', () => {
  const dataDir = mkdtempSync(join(inject('services').dir, 'start-'));
  let child: ChildProcess | undefined;

  afterAll(() => {
    child?.kill('SIGKILL');
  });

  async function start(ports: Record<string, number>): Promise<{ output: () => string; child: ChildProcess }> {
    let output = '';
    const env = { ...process.env, MCHAT_DATA_DIR: dataDir, LOG_LEVEL: 'info' } as NodeJS.ProcessEnv;
    for (const name of ['MQTT_URL', 'MONGO_URL', 'REDIS_URL', 'TEMPORAL_ADDRESS']) delete env[name];
    for (const [name, port] of Object.entries(ports)) env[name] = String(port);
    child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + 120_000;
    while (!output.includes('MChat is running')) {
      if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    return { output: () => output, child };
  }

  async function stop(c: ChildProcess): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
    c.kill('SIGINT');
    return exited;
  }

  /** Every port the banner names: the servers it started and its own processes. */
  function printedPorts(output: string): number[] {
    return [...output.matchAll(/(?:127\.0\.0\.1|localhost):(\d+)/g)].map((m) => Number(m[1]));
  }

  async function login(httpPort: number): Promise<string> {
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ employee_id: 'u_li', password: 'mchat-demo' }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { token: string }).token;
  }

  it('brings the stack up, serves the printed URL, stops everything on Ctrl-C, and keeps the chats', async () => {
    const ports = {
      HTTP_PORT: await freePort(), MQTT_PORT: await freePort(), MQTT_WS_PORT: await freePort(),
      WEB_PORT: await freePort(), DEMO_AGENT_PORT: await freePort(),
    };
    const first = await start(ports);
    const url = /Open\s+(\S+)/.exec(first.output())?.[1];
    expect(url).toBe(`http://localhost:${ports.WEB_PORT}`);
    const page = await fetch(url!);
    expect(page.status).toBe(200);
    expect(first.output()).toMatch(/u_wang.*u_li.*u_zhang/);

    const li = await TestClient.connect(`mqtt://127.0.0.1:${ports.MQTT_PORT}`, 'u_li', await login(ports.HTTP_PORT));
    const text = `kept across restarts ${ulid()}`;
    const sent = await li.ok<{ conversation_id: string }>('msg.send', { to: { direct: 'u_zhang' }, client_msg_id: ulid(), body: { text } });
    await li.close();

    const opened = printedPorts(first.output());
    expect(opened.length).toBeGreaterThanOrEqual(7);
    expect(await stop(first.child)).toBe(0);
    for (const port of opened) expect(await portOpen(port), `port ${port} still open`).toBe(false);

    const second = await start(ports);
    const again = await TestClient.connect(`mqtt://127.0.0.1:${ports.MQTT_PORT}`, 'u_li', await login(ports.HTTP_PORT));
    const history = await again.ok<{ messages: { body: { text?: string } }[] }>('msg.history', { conversation_id: sent.conversation_id });
    expect(history.messages.map((m) => m.body.text)).toContain(text);
    await again.close();
    expect(await stop(second.child)).toBe(0);
  }, 300_000);
});
