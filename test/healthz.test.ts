import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HealthReport, DependencyName } from '../gateway/http/health.js';
import {
  freePort, startDatabase, startMosquitto, startRedis, startTemporal, type RunningServer, type ServerOptions,
} from '../scripts/servers/servers.js';
import { startStack, type Stack } from './stack.js';

/**
 * A gateway on servers of its own (and an external Mosquitto broker instead of the embedded one),
 * so that each can be stopped and started again while the gateway keeps running.
 */
describe('/healthz reports each dependency, and a dependency going down does not stop the gateway', () => {
  const starters: Record<DependencyName, (o: ServerOptions) => Promise<RunningServer>> = {
    broker: startMosquitto,
    database: startDatabase,
    redis: startRedis,
    temporal: startTemporal,
  };
  const running = {} as Record<DependencyName, RunningServer>;
  const options = {} as Record<DependencyName, ServerOptions>;
  let stack: Stack;

  beforeAll(async () => {
    const dir = mkdtempSync(join(inject('services').dir, 'health-'));
    await Promise.all(
      (Object.keys(starters) as DependencyName[]).map(async (name) => {
        options[name] = { port: await freePort(), dir: join(dir, name) };
        running[name] = await starters[name](options[name]);
      }),
    );
    stack = await startStack({
      env: {
        MQTT_URL: running.broker.url,
        REDIS_URL: running.redis.url,
        MONGO_URL: running.database.url,
        TEMPORAL_ADDRESS: running.temporal.url,
      },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await Promise.all(Object.values(running).map((s) => s.stop()));
  });

  async function health(): Promise<{ status: number; report: HealthReport }> {
    const res = await fetch(`${stack.httpUrl}/healthz`);
    return { status: res.status, report: (await res.json()) as HealthReport };
  }

  async function until(predicate: (h: { status: number; report: HealthReport }) => boolean, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    let last = await health();
    while (!predicate(last)) {
      if (Date.now() > deadline) throw new Error(`healthz never matched; last: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 250));
      last = await health();
    }
    return last;
  }

  it('is 200 with every dependency up', async () => {
    const { status, report } = await health();
    expect(status).toBe(200);
    expect(report.status).toBe('ok');
    for (const name of Object.keys(starters)) expect(report.dependencies[name as DependencyName].status).toBe('up');
  });

  it.each(['redis', 'database', 'broker', 'temporal'] as const)('shows %s down while it is stopped, and up again after', async (name) => {
    await running[name].stop();
    const down = await until((h) => h.report.dependencies[name].status === 'down');
    expect(down.status).toBe(503);
    expect(down.report.status).toBe('degraded');
    expect(down.report.dependencies[name].error).toBeTruthy();
    for (const other of Object.keys(starters) as DependencyName[]) {
      if (other !== name) expect(down.report.dependencies[other].status).toBe('up');
    }
    expect(stack.gateway.child.exitCode).toBeNull();

    running[name] = await starters[name](options[name]);
    const up = await until((h) => h.status === 200, 45_000);
    expect(up.report.dependencies[name].status).toBe('up');
    expect(stack.gateway.child.exitCode).toBeNull();
  });
});
