import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PresenceTracker } from '../gateway/broker/presence.js';

/**
 * The Redis side of presence (gateway/broker/presence.ts) on the run's real Redis: folding an
 * employee's devices, ordering out-of-order connection events, and devices expiring when their
 * gateway stops renewing them (a crashed gateway), with a device lifetime short enough to wait for.
 */
describe('PresenceTracker', () => {
  let redis: Redis;
  const TTL_MS = 300;
  const tracker = () => new PresenceTracker(redis, `pt-${ulid()}:`, { deviceTtlMs: TTL_MS, endedTtlMs: 60_000 });

  beforeAll(() => {
    redis = new Redis(inject('services').redisUrl);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('folds the devices: online if any is online, away if all are away, offline after the last; unchanged folds are no change', async () => {
    const t = tracker();
    const now = Date.now();
    expect((await t.connected('u_a:phone', now))?.presence.state).toBe('online');
    expect(await t.connected('u_a:laptop', now)).toBeUndefined();
    expect(await t.setState('u_a:phone', { state: 'away' })).toBeUndefined();
    expect((await t.setState('u_a:laptop', { state: 'away' }))?.presence.state).toBe('away');
    expect((await t.setState('u_a:phone', { state: 'online' }))?.presence.state).toBe('online');
    expect(await t.disconnected('u_a:phone', now + 1)).toMatchObject({ presence: { state: 'away' } });
    const last = await t.disconnected('u_a:laptop', now + 2);
    expect(last).toMatchObject({ employeeId: 'u_a', presence: { state: 'offline' } });
    expect(await t.current('u_a')).toEqual(last);
    expect(await t.get(['u_a', 'u_never'])).toEqual({ u_a: last!.presence, u_never: { state: 'offline', ts: 0 } });
  });

  it('numbers changes in order, and ignores state updates of devices that are not connected', async () => {
    const t = tracker();
    const a = await t.connected('u_b:web', Date.now());
    const b = await t.setState('u_b:web', { state: 'away' });
    expect(b!.n).toBeGreaterThan(a!.n);
    expect(await t.setState('u_b:other', { state: 'online' })).toBeUndefined();
    expect((await t.current('u_b'))?.presence.state).toBe('away');
  });

  it('keeps a newer connection of the same client id when the older one’s end arrives late, and skips a start older than its end', async () => {
    const t = tracker();
    const now = Date.now();
    await t.connected('u_c:web', now);
    await t.connected('u_c:web', now + 10);
    expect(await t.disconnected('u_c:web', now + 5)).toBeUndefined();
    expect((await t.current('u_c'))?.presence.state).toBe('online');
    expect((await t.disconnected('u_c:web', now + 20))?.presence.state).toBe('offline');
    expect(await t.connected('u_c:web', now + 15)).toBeUndefined();
    expect((await t.current('u_c'))?.presence.state).toBe('offline');
  });

  it('a device its gateway stops renewing expires: swept once, the employee offline only when no renewed device is left', async () => {
    const t = tracker();
    await t.connected('u_d:crashed', Date.now());
    await t.connected('u_d:alive', Date.now());
    await t.connected('u_e:crashed', Date.now());
    // Only the live gateway's device is renewed, until the others' lifetime has passed.
    for (let waited = 0; waited <= TTL_MS * 2; waited += TTL_MS / 3) {
      await t.renew(['u_d:alive']);
      await sleep(TTL_MS / 3);
    }
    await t.renew(['u_d:alive']);
    const swept = await t.sweep();
    expect(swept.map((c) => [c.employeeId, c.presence.state])).toEqual([['u_e', 'offline']]);
    expect(await t.sweep()).toEqual([]);
    expect((await t.current('u_d'))?.presence.state).toBe('online');
    expect((await t.current('u_e'))?.presence.state).toBe('offline');
  });

  it('restore records again a device its gateway holds that the tracker lost, and renews the rest', async () => {
    const t = tracker();
    await t.connected('u_g:web', Date.now());
    // Swept while its gateway could not reach Redis: the device is gone, its owner offline.
    await sleep(TTL_MS * 1.5);
    expect((await t.sweep()).map((c) => c.presence.state)).toEqual(['offline']);
    const restored = await t.restore(['u_g:web', 'not-an-employee']);
    expect(restored.map((c) => [c.employeeId, c.presence.state])).toEqual([['u_g', 'online']]);
    expect(await t.restore(['u_g:web'])).toEqual([]);
    expect(await t.sweep()).toEqual([]);
    expect((await t.current('u_g'))?.presence.state).toBe('online');
  });

  it('reset forgets every device and status', async () => {
    const t = tracker();
    await t.connected('u_f:web', Date.now());
    await t.reset();
    expect(await t.get(['u_f'])).toEqual({ u_f: { state: 'offline', ts: 0 } });
    expect(await t.disconnected('u_f:web', Date.now())).toBeUndefined();
  });
});
