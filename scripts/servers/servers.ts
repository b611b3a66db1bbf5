import { spawn, execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
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
  /** Every process the server runs as, by name, when it is more than one (the bench meters each). */
  pids?: Record<string, number>;
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

/** Stops a child: `signal` (SIGTERM), then SIGKILL if it is still there after `graceMs`. */
export function stopProcess(child: ChildProcess, graceMs = 5_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill(signal);
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
  /** Run as this user instead (PostgreSQL refuses to run as root). */
  user?: SystemUser;
  /** How the server is asked to stop; SIGTERM unless it means something slower. */
  stopSignal?: NodeJS.Signals;
}

async function run(spec: Spec): Promise<RunningServer> {
  mkdirSync(spec.dir, { recursive: true });
  const logFile = join(spec.dir, `${spec.name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(spec.command, spec.args, { stdio: ['ignore', 'pipe', 'pipe'], ...(spec.user ? { ...spec.user, cwd: '/' } : {}) });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  await waitForPort(spec.name, child, spec.port, spec.readyTimeoutMs ?? 30_000, logFile);
  return { name: spec.name, pid: child.pid!, url: spec.url, port: spec.port, stop: () => stopProcess(child, 10_000, spec.stopSignal) };
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

interface SystemUser {
  uid: number;
  gid: number;
}

/** Where Debian keeps PostgreSQL's server programs (the newest major version), or PATH. */
export function postgresBin(program: string): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, 'bin', program))) return join(root, v, 'bin', program);
  return program;
}

/**
 * Who runs PostgreSQL and where its cluster lives: ourselves in `dir`, or, as root (which it
 * refuses), Debian's `postgres` user, which owns the cluster. When that user cannot reach `dir`
 * (a home folder closed to others), the cluster lives in a folder of the system's named after
 * `dir`, and `dir/LOCATION` says where; parent folders are never opened up behind the user's back.
 */
function postgresHome(dir: string, persistent: boolean): { home: string; user?: SystemUser } {
  mkdirSync(dir, { recursive: true });
  if (process.getuid?.() !== 0) return { home: dir };
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  const user = { uid: id('-u'), gid: id('-g') };
  chownSync(dir, user.uid, user.gid);
  if (spawnSync('test', ['-w', dir], { ...user }).status === 0) return { home: dir, user };
  const base = persistent ? '/var/lib/mchat/postgres' : join(tmpdir(), 'mchat-postgres');
  const home = join(base, createHash('sha256').update(dir).digest('hex').slice(0, 16));
  mkdirSync(home, { recursive: true });
  chownSync(home, user.uid, user.gid);
  writeFileSync(join(dir, 'LOCATION'), `PostgreSQL keeps this cluster in ${home}: the postgres user cannot reach ${dir}.\n`);
  return { home, user };
}

/**
 * PostgreSQL for FerretDB: a cluster in `dir` (initdb on first start), on 127.0.0.1 only, trusting
 * local connections (nothing else reaches it), with one database `ferretdb`. Throwaway clusters
 * (tests, bench) skip fsync; a persistent one keeps it, and commits without waiting for the disk:
 * a crash of the machine may lose the last moments, never corrupt, as with MongoDB's default.
 */
export async function startPostgres({ port, dir, persistent = false }: ServerOptions): Promise<RunningServer> {
  const { home, user } = postgresHome(dir, persistent);
  const data = join(home, 'data');
  if (!existsSync(join(data, 'PG_VERSION'))) {
    const init = spawnSync(postgresBin('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C'], { ...user, ...(user ? { cwd: '/' } : {}), encoding: 'utf8' });
    if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.error?.message}`);
  }
  const args = [
    '-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', home,
    '-c', 'synchronous_commit=off', '-c', 'max_connections=200',
    ...(persistent ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off']),
  ];
  // SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for every client to leave.
  const server = await run({ name: 'postgres', command: postgresBin('postgres'), args, port, url: `postgres://postgres@127.0.0.1:${port}/ferretdb`, dir, user, stopSignal: 'SIGINT' });
  try {
    await createDatabase(port);
  } catch (err) {
    await server.stop();
    throw err;
  }
  if (persistent || home === dir) return server;
  // A throwaway cluster kept outside `dir` goes with its server, as the rest of `dir` would.
  return { ...server, stop: () => server.stop().then(() => rmSync(home, { recursive: true, force: true })) };
}

/** The database `ferretdb`, unless it exists. */
async function createDatabase(port: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const created = spawnSync(postgresBin('createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'ferretdb'], { encoding: 'utf8' });
    if (created.status === 0 || /already exists/.test(created.stderr)) return;
    // PostgreSQL opens its port before it takes connections: "the database system is starting up".
    if (!/starting up/.test(created.stderr) || attempt === 100) throw new Error(`createdb failed: ${created.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** FerretDB (the MongoDB wire protocol) on a PostgreSQL database, e.g. startPostgres's. */
export function startFerretDb({ port, dir, postgresUrl }: ServerOptions & { postgresUrl: string }): Promise<RunningServer> {
  const args = [
    '--handler=postgresql', `--postgresql-url=${postgresUrl}`, `--listen-addr=127.0.0.1:${port}`,
    '--telemetry=disable', '--debug-addr=-', '--log-level=warn', `--state-dir=${dir}`,
  ];
  return run({ name: 'ferretdb', command: FERRETDB_BIN, args, port, url: `mongodb://127.0.0.1:${port}/mchat`, dir });
}

/**
 * The local MongoDB-compatible database: FerretDB on PostgreSQL, both in `dir`, started and
 * stopped as one (the port is FerretDB's; PostgreSQL takes a free one).
 */
export async function startDatabase({ port, dir, persistent = false }: ServerOptions): Promise<RunningServer> {
  const postgres = await startPostgres({ port: await freePort(), dir: join(dir, 'postgres'), persistent });
  let ferretdb: RunningServer;
  try {
    ferretdb = await startFerretDb({ port, dir: join(dir, 'ferretdb'), postgresUrl: postgres.url });
  } catch (err) {
    await postgres.stop();
    throw err;
  }
  return {
    ...ferretdb,
    name: 'database',
    pids: { ferretdb: ferretdb.pid, postgres: postgres.pid },
    async stop() {
      await ferretdb.stop();
      await postgres.stop();
    },
  };
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
