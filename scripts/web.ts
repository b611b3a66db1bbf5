import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { httpOk, startApp, waitFor, type AppProcess } from './processes.js';

const BUILD_ENTRY = resolve('web/build/index.js');
const SOURCES = ['web/src', 'web/static', 'web/messages', 'web/project.inlang', 'web/svelte.config.js', 'web/vite.config.ts', 'schemas'];

function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/**
 * The production build of the web app (adapter-node), rebuilt only when a source is newer: what
 * `npm start` serves and what the browser tests drive, so neither depends on a dev server's
 * on-the-fly compiling.
 */
export function ensureWebBuild(): void {
  if (existsSync(BUILD_ENTRY) && statSync(BUILD_ENTRY).mtimeMs >= Math.max(...SOURCES.map(newest))) return;
  const r = spawnSync(process.execPath, [resolve('node_modules/vite/bin/vite.js'), 'build', 'web', '--logLevel', 'error'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('building the web app failed');
}

export interface WebOptions {
  port: number;
  /** The origin browsers use: form posts from any other are refused (CSRF). */
  origin: string;
  gatewayUrl: string;
  mqttWsUrl: string;
  logDir: string;
  /** The gateway's MCHAT_MAX_UPLOAD_BYTES, when set: the app refuses bigger files before sending. */
  maxUploadBytes?: number;
}

export async function startWeb(opts: WebOptions): Promise<AppProcess> {
  const web = startApp(
    'web',
    [BUILD_ENTRY],
    {
      HOST: '127.0.0.1',
      PORT: String(opts.port),
      ORIGIN: opts.origin,
      GATEWAY_URL: opts.gatewayUrl,
      PUBLIC_MQTT_WS_URL: opts.mqttWsUrl,
      // Uploads stream through to the gateway, which enforces MCHAT_MAX_UPLOAD_BYTES itself.
      BODY_SIZE_LIMIT: 'Infinity',
      ...(opts.maxUploadBytes ? { MCHAT_MAX_UPLOAD_BYTES: String(opts.maxUploadBytes) } : {}),
    },
    opts.logDir,
  );
  await waitFor('the web app', () => httpOk(`http://127.0.0.1:${opts.port}/login`), web);
  return web;
}
