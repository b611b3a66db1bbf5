import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { stopProcess } from './servers/servers.js';

export interface AppProcess {
  name: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts one of MChat's own processes (gateway, worker, demo agent, web) with its log in `logDir`. */
export function startApp(name: string, args: string[], env: NodeJS.ProcessEnv, logDir: string): AppProcess {
  mkdirSync(logDir, { recursive: true });
  const log = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return { name, child, stop: () => stopProcess(child, 10_000) };
}

/** Node with tsx's loader: runs our TypeScript entry points directly. */
export const tsx = (entry: string) => ['--import', 'tsx', entry];

export async function waitFor(what: string, check: () => Promise<boolean>, app: AppProcess | undefined, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (app && app.child.exitCode !== null) throw new Error(`${app.name} exited with code ${app.child.exitCode} before ${what}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return res.ok;
}
