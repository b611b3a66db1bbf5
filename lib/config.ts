import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { DEFAULT_MAX_UPLOAD_BYTES } from '../schemas/index.js';

const port = z.coerce.number().int().min(0).max(65535);

/**
 * Every setting comes from the environment. Unset servers (MQTT_URL, TEMPORAL_ADDRESS, MONGO_URL,
 * REDIS_URL) mean "the local ones `npm start` runs"; secrets are required in production and
 * generated once into the data folder otherwise, so a local restart keeps sessions valid.
 */
const Env = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MCHAT_DATA_DIR: z.string().default('.mchat'),
  HTTP_PORT: port.default(8080),
  HTTP_HOST: z.string().default('127.0.0.1'),
  MQTT_URL: z.string().url().optional(),
  /**
   * The external broker moves clients' status publishes off `mchat/status/+` and the gateway's
   * from `mchat/gateway/status/+` onto it (EMQX's topic rewrite, deploy/emqx/base.hocon).
   */
  MQTT_STATUS_REWRITE: z.stringbool().default(false),
  MQTT_HOST: z.string().default('127.0.0.1'),
  MQTT_PORT: port.default(1883),
  MQTT_WS_PORT: port.default(8083),
  PUBLIC_MQTT_WS_URL: z.string().url().optional(),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('mchat'),
  MONGO_URL: z.string().default('mongodb://127.0.0.1:27017/mchat'),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** Prefix of every Redis key, so several MChat installations can share one Redis. */
  REDIS_PREFIX: z.string().regex(/^[A-Za-z0-9_.:-]*$/).default('mchat:'),
  MCHAT_JWT_SECRET: z.string().min(32).optional(),
  MCHAT_SERVICE_SECRET: z.string().min(32).optional(),
  MCHAT_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).default(12 * 3600),
  MCHAT_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(1024).default(64 * 1024),
  /** Requests one employee may make per second, across all their devices and every gateway. */
  MCHAT_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(1).default(50),
  /** The largest group an admin can make or fill. */
  MCHAT_MAX_GROUP_SIZE: z.coerce.number().int().min(2).max(100_000).default(5_000),
  MCHAT_RECALL_WINDOW_MS: z.coerce.number().int().min(0).default(2 * 60_000),
  /** How often a group hears how many have read it, at most. */
  MCHAT_RECEIPT_INTERVAL_MS: z.coerce.number().int().min(0).default(1_000),
  /** How long an approval task waits for its approver before it goes to the approver's manager. */
  MCHAT_APPROVAL_TIMEOUT_MS: z.coerce.number().int().min(100).default(24 * 3600_000),
  /** How long a hand-off waits for its colleague's first word before it escalates; 0 never escalates. */
  MCHAT_HANDOFF_PICKUP_MS: z.coerce.number().int().min(0).default(10 * 60_000),
  /** Who takes a hand-off when the agent has no manager (an employee id). */
  MCHAT_ONDUTY_EMPLOYEE: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
  /** How often the gateway re-reads the active agents it routes messages to. */
  MCHAT_AGENT_REFRESH_MS: z.coerce.number().int().min(100).default(3_000),
  /** Webhook calls one agent may receive per minute, across every worker. */
  MCHAT_AGENT_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  /** Words masked in agent output before it is posted; comma-separated (ASCII or full-width comma). */
  MCHAT_SENSITIVE_WORDS: z
    .string()
    .default('')
    .transform((s) => s.split(/[,，]/).map((w) => w.trim()).filter((w) => w.length > 0)),
  /** Create the demo organisation at gateway start if it is missing (npm start, the compose demo). */
  MCHAT_SEED_DEMO: z.stringbool().default(false),
  MCHAT_DEMO_PASSWORD: z.string().min(8).default('mchat-demo'),
  DEMO_AGENT_URL: z.string().url().default('http://127.0.0.1:8090'),
  DEMO_AGENT_SECRET: z.string().min(16).optional(),
  /** Where uploaded files go: a folder under MCHAT_DATA_DIR/objects, or an S3-compatible bucket. */
  MCHAT_OBJECT_STORE: z.enum(['local', 's3']).default('local'),
  /** The largest file one upload may be. */
  MCHAT_MAX_UPLOAD_BYTES: z.coerce.number().int().min(1).default(DEFAULT_MAX_UPLOAD_BYTES),
  /** How long a signed file link works. */
  MCHAT_LINK_TTL_SECONDS: z.coerce.number().int().min(1).default(600),
  /** S3 (MCHAT_OBJECT_STORE=s3): endpoint for MinIO and other non-AWS servers; the SDK's default chain supplies unset credentials. */
  S3_ENDPOINT: z.string().url().optional(),
  S3_BUCKET: z.string().min(1).optional(),
  S3_REGION: z.string().min(1).default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** Path-style URLs (`endpoint/bucket/key`), which MinIO needs. */
  S3_FORCE_PATH_STYLE: z.stringbool().default(false),
});

type Secret = 'MCHAT_JWT_SECRET' | 'MCHAT_SERVICE_SECRET' | 'DEMO_AGENT_SECRET';

export type Config = Omit<z.infer<typeof Env>, Secret | 'PUBLIC_MQTT_WS_URL'> & {
  [K in Secret]: string;
} & {
  PUBLIC_MQTT_WS_URL: string;
  /** True when the gateway runs the embedded broker (no MQTT_URL). */
  embeddedBroker: boolean;
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.parse(env);
  if (parsed.MCHAT_OBJECT_STORE === 's3' && !parsed.S3_BUCKET) throw new Error('MCHAT_OBJECT_STORE=s3 needs S3_BUCKET');
  const dataDir = resolve(parsed.MCHAT_DATA_DIR);
  const secret = (name: Secret): string => {
    const given = parsed[name];
    if (given) return given;
    if (parsed.NODE_ENV === 'production') throw new Error(`${name} must be set in production`);
    return localSecret(dataDir, name);
  };
  return {
    ...parsed,
    MCHAT_DATA_DIR: dataDir,
    MCHAT_JWT_SECRET: secret('MCHAT_JWT_SECRET'),
    MCHAT_SERVICE_SECRET: secret('MCHAT_SERVICE_SECRET'),
    // Only the demo needs it; production without the demo never asks.
    get DEMO_AGENT_SECRET() {
      return secret('DEMO_AGENT_SECRET');
    },
    PUBLIC_MQTT_WS_URL: parsed.PUBLIC_MQTT_WS_URL ?? `ws://localhost:${parsed.MQTT_WS_PORT}/mqtt`,
    embeddedBroker: parsed.MQTT_URL === undefined,
  };
}

export function localSecret(dataDir: string, name: string): string {
  const file = join(dataDir, 'secrets', name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(join(dataDir, 'secrets'), { recursive: true, mode: 0o700 });
  const value = randomBytes(32).toString('base64url');
  // `wx`: two processes starting together must agree on one secret.
  try {
    writeFileSync(file, value, { mode: 0o600, flag: 'wx' });
    return value;
  } catch {
    return readFileSync(file, 'utf8').trim();
  }
}

/** The MQTT username of MChat's own processes; `@` can never appear in an employee id. */
export const SERVICE_USERNAME = { gateway: 'svc@gateway', worker: 'svc@worker' } as const;
