import { describe, expect, it } from 'vitest';
import { checkHealth, type DependencyName, type Probe } from './health.js';

const up: Probe = async () => 'pong';
const all = (overrides: Partial<Record<DependencyName, Probe>> = {}) => ({ broker: up, temporal: up, database: up, redis: up, ...overrides });

describe('checkHealth', () => {
  it('is ok when every probe answers', async () => {
    const report = await checkHealth(all(), 50);
    expect(report.status).toBe('ok');
    expect(Object.keys(report.dependencies).sort()).toEqual(['broker', 'database', 'redis', 'temporal']);
    for (const dep of Object.values(report.dependencies)) {
      expect(dep.status).toBe('up');
      expect(dep.error).toBeUndefined();
      expect(dep.latency_ms).toBeGreaterThanOrEqual(0);
    }
  });

  it('is degraded when one probe rejects, naming only that one down with its error', async () => {
    const report = await checkHealth(all({ redis: () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379')) }), 50);
    expect(report.status).toBe('degraded');
    expect(report.dependencies.redis).toMatchObject({ status: 'down', error: 'ECONNREFUSED 127.0.0.1:6379' });
    for (const name of ['broker', 'temporal', 'database'] as const) expect(report.dependencies[name].status).toBe('up');
  });

  it('counts a probe that throws synchronously as down', async () => {
    const report = await checkHealth(all({ broker: () => { throw new Error('not connected'); } }), 50);
    expect(report.status).toBe('degraded');
    expect(report.dependencies.broker).toMatchObject({ status: 'down', error: 'not connected' });
  });

  it('reports a non-Error rejection as text', async () => {
    const report = await checkHealth(all({ database: () => Promise.reject('boom') }), 50);
    expect(report.dependencies.database).toMatchObject({ status: 'down', error: 'boom' });
  });

  it('counts a probe that hangs as down after the timeout, without waiting for it', async () => {
    const started = performance.now();
    const report = await checkHealth(all({ temporal: () => new Promise(() => {}) }), 50);
    const elapsed = performance.now() - started;
    expect(report.status).toBe('degraded');
    expect(report.dependencies.temporal.status).toBe('down');
    expect(report.dependencies.temporal.error).toMatch(/50/);
    expect(report.dependencies.temporal.latency_ms).toBeGreaterThanOrEqual(40);
    expect(elapsed).toBeGreaterThanOrEqual(40);
    expect(elapsed).toBeLessThan(1_000);
    expect(report.dependencies.broker.status).toBe('up');
  });

  it('runs the probes at once, not one after the other', async () => {
    const slow: Probe = () => new Promise((r) => setTimeout(r, 40));
    const started = performance.now();
    const report = await checkHealth({ broker: slow, temporal: slow, database: slow, redis: slow }, 100);
    expect(report.status).toBe('ok');
    // one after the other would take at least 4 × 40 ms
    expect(performance.now() - started).toBeLessThan(155);
  });

  it('is degraded when everything is down', async () => {
    const down: Probe = () => Promise.reject(new Error('x'));
    const report = await checkHealth({ broker: down, temporal: down, database: down, redis: down }, 50);
    expect(report.status).toBe('degraded');
    expect(Object.values(report.dependencies).every((d) => d.status === 'down')).toBe(true);
  });
});
