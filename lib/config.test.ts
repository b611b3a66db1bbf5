import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, localSecret } from './config.js';

const jwt = 'j'.repeat(32);
const svc = 's'.repeat(32);
let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mchat-config-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = (extra: Record<string, string> = {}) => ({ MCHAT_DATA_DIR: dir, ...extra });

describe('loadConfig defaults', () => {
  it('points at the local servers and the embedded broker', () => {
    const c = loadConfig(env({ MCHAT_JWT_SECRET: jwt, MCHAT_SERVICE_SECRET: svc }));
    expect(c.NODE_ENV).toBe('development');
    expect(c.LOG_LEVEL).toBe('info');
    expect(c.HTTP_HOST).toBe('127.0.0.1');
    expect(c.MQTT_PORT).toBe(1883);
    expect(typeof c.HTTP_PORT).toBe('number');
    expect(c.embeddedBroker).toBe(true);
    expect(c.MQTT_URL).toBeUndefined();
    expect(c.PUBLIC_MQTT_WS_URL).toBe(`ws://localhost:${c.MQTT_WS_PORT}/mqtt`);
    expect(c.MONGO_URL).toMatch(/^mongodb:\/\/127\.0\.0\.1:/);
    expect(c.REDIS_URL).toMatch(/^redis:\/\/127\.0\.0\.1:/);
    expect(c.TEMPORAL_ADDRESS).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(c.MCHAT_SEED_DEMO).toBe(false);
    expect(c.MCHAT_TOKEN_TTL_SECONDS).toBeGreaterThanOrEqual(60);
    expect(c.MCHAT_MAX_PAYLOAD_BYTES).toBeGreaterThanOrEqual(1024);
    expect(c.MCHAT_JWT_SECRET).toBe(jwt);
    expect(c.MCHAT_SERVICE_SECRET).toBe(svc);
  });
  it('defaults the data folder to .mchat, made absolute', () => {
    const c = loadConfig({ MCHAT_JWT_SECRET: jwt, MCHAT_SERVICE_SECRET: svc });
    expect(c.MCHAT_DATA_DIR).toBe(resolve('.mchat'));
  });
  it('ignores unrelated environment variables', () => {
    const c = loadConfig(env({ MCHAT_JWT_SECRET: jwt, MCHAT_SERVICE_SECRET: svc, PATH: '/bin', SOMETHING_ELSE: 'x' }));
    expect('SOMETHING_ELSE' in c).toBe(false);
  });
});

describe('loadConfig overrides', () => {
  const base = { MCHAT_JWT_SECRET: jwt, MCHAT_SERVICE_SECRET: svc };
  it('reads numbers, urls and booleans from strings', () => {
    const c = loadConfig(env({
      ...base, HTTP_PORT: '9090', MQTT_WS_PORT: '9001', MCHAT_TOKEN_TTL_SECONDS: '120', MCHAT_SEED_DEMO: 'true',
      LOG_LEVEL: 'debug', NODE_ENV: 'test', REDIS_URL: 'redis://r:6380', TEMPORAL_NAMESPACE: 'mchat-ns',
    }));
    expect(c.HTTP_PORT).toBe(9090);
    expect(c.MQTT_WS_PORT).toBe(9001);
    expect(c.PUBLIC_MQTT_WS_URL).toBe('ws://localhost:9001/mqtt');
    expect(c.MCHAT_TOKEN_TTL_SECONDS).toBe(120);
    expect(c.MCHAT_SEED_DEMO).toBe(true);
    expect(c.LOG_LEVEL).toBe('debug');
    expect(c.NODE_ENV).toBe('test');
    expect(c.REDIS_URL).toBe('redis://r:6380');
    expect(c.TEMPORAL_NAMESPACE).toBe('mchat-ns');
  });
  it('an external broker turns the embedded one off; a public ws url is taken as given', () => {
    const c = loadConfig(env({ ...base, MQTT_URL: 'mqtt://emqx:1883', PUBLIC_MQTT_WS_URL: 'wss://chat.example.com/mqtt' }));
    expect(c.embeddedBroker).toBe(false);
    expect(c.MQTT_URL).toBe('mqtt://emqx:1883');
    expect(c.PUBLIC_MQTT_WS_URL).toBe('wss://chat.example.com/mqtt');
  });
  it('MCHAT_SEED_DEMO=false stays false', () => {
    expect(loadConfig(env({ ...base, MCHAT_SEED_DEMO: 'false' })).MCHAT_SEED_DEMO).toBe(false);
  });
  it.each([
    ['HTTP_PORT', 'abc'],
    ['HTTP_PORT', '70000'],
    ['MQTT_PORT', '-1'],
    ['NODE_ENV', 'staging'],
    ['LOG_LEVEL', 'loud'],
    ['MQTT_URL', 'not a url'],
    ['MCHAT_JWT_SECRET', 'short'],
    ['MCHAT_SERVICE_SECRET', 'x'.repeat(31)],
    ['MCHAT_TOKEN_TTL_SECONDS', '59'],
    ['MCHAT_MAX_PAYLOAD_BYTES', '100'],
    ['MCHAT_SEED_DEMO', 'maybe'],
    ['MCHAT_DEMO_PASSWORD', 'short'],
  ])('refuses %s=%j', (name, value) => {
    expect(() => loadConfig(env({ ...base, [name]: value }))).toThrow();
  });
});

describe('loadConfig in production', () => {
  it('requires the JWT secret', () => {
    expect(() => loadConfig(env({ NODE_ENV: 'production', MCHAT_SERVICE_SECRET: svc }))).toThrow(/MCHAT_JWT_SECRET/);
  });
  it('requires the service secret', () => {
    expect(() => loadConfig(env({ NODE_ENV: 'production', MCHAT_JWT_SECRET: jwt }))).toThrow(/MCHAT_SERVICE_SECRET/);
  });
  it('loads with both, asks for the demo secret only when it is used, and never writes secrets', () => {
    const c = loadConfig(env({ NODE_ENV: 'production', MCHAT_JWT_SECRET: jwt, MCHAT_SERVICE_SECRET: svc }));
    expect(c.MCHAT_JWT_SECRET).toBe(jwt);
    expect(() => c.DEMO_AGENT_SECRET).toThrow(/DEMO_AGENT_SECRET/);
    expect(readdirSync(dir)).toEqual([]);
    const demo = 'd'.repeat(16);
    expect(loadConfig(env({ NODE_ENV: 'production', MCHAT_JWT_SECRET: jwt, MCHAT_SERVICE_SECRET: svc, DEMO_AGENT_SECRET: demo })).DEMO_AGENT_SECRET).toBe(demo);
  });
});

describe('local secrets', () => {
  it('are generated once into the data folder and reused', () => {
    const first = loadConfig(env());
    expect(first.MCHAT_JWT_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(first.MCHAT_SERVICE_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(first.MCHAT_JWT_SECRET).not.toBe(first.MCHAT_SERVICE_SECRET);
    const file = join(dir, 'secrets', 'MCHAT_JWT_SECRET');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o077).toBe(0);
    const second = loadConfig(env());
    expect(second.MCHAT_JWT_SECRET).toBe(first.MCHAT_JWT_SECRET);
    expect(second.MCHAT_SERVICE_SECRET).toBe(first.MCHAT_SERVICE_SECRET);
  });
  it('differ between data folders', () => {
    const other = mkdtempSync(join(tmpdir(), 'mchat-config-test-'));
    try {
      expect(loadConfig(env()).MCHAT_JWT_SECRET).not.toBe(loadConfig({ MCHAT_DATA_DIR: other }).MCHAT_JWT_SECRET);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
  it('create the demo agent secret only when it is read, then keep it', () => {
    const c = loadConfig(env());
    expect(existsSync(join(dir, 'secrets', 'DEMO_AGENT_SECRET'))).toBe(false);
    const demo = c.DEMO_AGENT_SECRET;
    expect(existsSync(join(dir, 'secrets', 'DEMO_AGENT_SECRET'))).toBe(true);
    expect(loadConfig(env()).DEMO_AGENT_SECRET).toBe(demo);
    expect(localSecret(dir, 'DEMO_AGENT_SECRET')).toBe(demo);
  });
  it('a secret from the environment wins over the stored one', () => {
    const stored = loadConfig(env()).MCHAT_JWT_SECRET;
    expect(loadConfig(env({ MCHAT_JWT_SECRET: jwt })).MCHAT_JWT_SECRET).toBe(jwt);
    expect(loadConfig(env()).MCHAT_JWT_SECRET).toBe(stored);
  });
  it('localSecret reads an existing file, trimmed', () => {
    mkdirSync(join(dir, 'secrets'));
    writeFileSync(join(dir, 'secrets', 'X'), 'from-file\n');
    expect(localSecret(dir, 'X')).toBe('from-file');
  });
  it('resolves a relative data folder to an absolute one', () => {
    const rel = relative(process.cwd(), dir);
    expect(isAbsolute(rel)).toBe(false);
    expect(loadConfig({ MCHAT_DATA_DIR: rel }).MCHAT_DATA_DIR).toBe(dir);
    expect(existsSync(join(dir, 'secrets', 'MCHAT_JWT_SECRET'))).toBe(true);
  });
});
