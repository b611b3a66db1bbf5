import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, startDatabase, startRedis, startTemporal, type RunningServer } from '../scripts/servers/servers.js';
import { ensureWebBuild } from '../scripts/web.js';

declare module 'vitest' {
  export interface ProvidedContext {
    services: { redisUrl: string; mongoUrl: string; temporalAddress: string; dir: string };
  }
}

/** One set of real servers per test run, on free ports, with data in a temporary folder. */
export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'mchat-test-'));
  // PostgreSQL runs as its own user (under root), which must reach its folder in here.
  chmodSync(dir, 0o755);
  const started: RunningServer[] = [];
  const teardown = async () => {
    await Promise.all(started.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  // The browser tests and `npm start` serve the web app's production build; make it once, first.
  ensureWebBuild();
  const results = await Promise.allSettled([
    freePort().then((port) => startRedis({ port, dir: join(dir, 'redis') })),
    freePort().then((port) => startDatabase({ port, dir: join(dir, 'database') })),
    freePort().then((port) => startTemporal({ port, dir: join(dir, 'temporal') })),
  ]);
  for (const r of results) if (r.status === 'fulfilled') started.push(r.value);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) {
    await teardown();
    throw failed.reason;
  }
  const [redis, database, temporal] = started as [RunningServer, RunningServer, RunningServer];
  project.provide('services', { redisUrl: redis.url, mongoUrl: database.url, temporalAddress: temporal.url, dir });
  return teardown;
}
