import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The real servers MChat runs against, started as child processes we hold the PIDs of. Binaries
 * that Debian does not package are built from the Go module proxy once and cached (see install.ts).
 */
export const TOOLS_DIR = process.env.MCHAT_TOOLS_DIR ?? join(homedir(), '.cache', 'mchat', 'bin');
export const TEMPORAL_BIN = join(TOOLS_DIR, 'temporal');
export const FERRETDB_BIN = join(TOOLS_DIR, 'ferretdb');

export interface RunningServer {
  name: string;
  pid: number;
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

async function waitForPort(name: string, child: ChildProcess, port: number, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}; see ${logFile}`);
    if (await portOpen(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${name} did not listen on ${port} within ${timeoutMs} ms; see ${logFile}`);
}

/** Stops a child: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

interface Spec {
  name: string;
  command: string;
  args: string[];
  port: number;
  url: string;
  dir: string;
  readyTimeoutMs?: number;
}

async function run(spec: Spec): Promise<RunningServer> {
  mkdirSync(spec.dir, { recursive: true });
  const logFile = join(spec.dir, `${spec.name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(spec.command, spec.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  await waitForPort(spec.name, child, spec.port, spec.readyTimeoutMs ?? 30_000, logFile);
  return { name: spec.name, pid: child.pid!, url: spec.url, port: spec.port, stop: () => stopProcess(child) };
}

export interface ServerOptions {
  port: number;
  /** Where the server keeps its data and log. */
  dir: string;
  /** Keep data across restarts (local stack) or not (tests). */
  persistent?: boolean;
}

export function startRedis({ port, dir, persistent = false }: ServerOptions): Promise<RunningServer> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', persistent ? 'yes' : 'no'];
  return run({ name: 'redis', command: 'redis-server', args, port, url: `redis://127.0.0.1:${port}`, dir });
}

export function startFerretDb({ port, dir }: ServerOptions): Promise<RunningServer> {
  const dataDir = join(dir, 'sqlite');
  mkdirSync(dataDir, { recursive: true });
  const args = [
    '--handler=sqlite', `--sqlite-url=file:${dataDir}/`, `--listen-addr=127.0.0.1:${port}`,
    '--telemetry=disable', '--debug-addr=-', '--log-level=warn', `--state-dir=${dir}`,
  ];
  return run({ name: 'ferretdb', command: FERRETDB_BIN, args, port, url: `mongodb://127.0.0.1:${port}/mchat`, dir });
}

export function startTemporal({ port, dir, uiPort }: ServerOptions & { uiPort?: number }): Promise<RunningServer> {
  const args = [
    'server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port),
    '--db-filename', join(dir, 'temporal.db'), '--log-level', 'warn',
    // WAL with synchronous=NORMAL survives a crash of the server (not of the machine) and does not
    // wait on the disk for every history write.
    '--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal',
    // An activity the workflow's own worker can run is handed back with the workflow task's
    // answer instead of going through matching (docker-compose's Temporal sets the same).
    '--dynamic-config-value', 'system.enableActivityEagerExecution=true',
    ...(uiPort ? ['--ui-port', String(uiPort)] : ['--headless']),
  ];
  return run({ name: 'temporal', command: TEMPORAL_BIN, args, port, url: `127.0.0.1:${port}`, dir, readyTimeoutMs: 60_000 });
}

export function startMosquitto({ port, dir }: ServerOptions): Promise<RunningServer> {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'user root', ''].join('\n'));
  // Debian installs the broker in /usr/sbin, which is not on every user's PATH.
  const command = onPath('mosquitto') ? 'mosquitto' : '/usr/sbin/mosquitto';
  return run({ name: 'mosquitto', command, args: ['-c', conf], port, url: `mqtt://127.0.0.1:${port}`, dir });
}

export function onPath(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function hasTools(): boolean {
  return existsSync(TEMPORAL_BIN) && existsSync(FERRETDB_BIN) && onPath('redis-server');
}
