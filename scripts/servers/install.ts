import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FERRETDB_BIN, TEMPORAL_BIN, TOOLS_DIR, onPath, postgresBin } from './servers.js';

/**
 * Installs what the local stack and the tests need and this machine lacks: Redis, PostgreSQL and
 * Mosquitto from Debian's packages, the Temporal CLI (its dev server is the real Temporal server) and FerretDB
 * built from the Go module proxy into TOOLS_DIR, and for the tests only Debian's Chromium (the
 * browser of test/web.e2e.test.ts). Idempotent: a second run only checks.
 */
const TEMPORAL_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';
const FERRETDB_VERSION = 'v1.24.2';

function sh(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): void {
  const r = spawnSync(command, args, { stdio: 'inherit', cwd: opts.cwd, env: { ...process.env, ...opts.env } });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status ?? r.signal})`);
}

/** A Debian package, and the program whose presence shows it is installed. */
interface AptPackage {
  name: string;
  program: string;
}

const installed = (program: string) => onPath(program) || existsSync(program) || existsSync(`/usr/sbin/${program}`);

function aptInstall(packages: AptPackage[]): void {
  const missing = packages.filter((p) => !installed(p.program)).map((p) => p.name);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing ${missing.join(', ')}: install them (e.g. sudo apt-get install -y ${missing.join(' ')}) and run again`);
  }
  console.log(`installing ${missing.join(', ')} from Debian packages…`);
  sh('apt-get', ['update', '-qq']);
  sh('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
}

function requireGo(): void {
  if (!onPath('go')) throw new Error('Go (1.22+) is needed once to build the Temporal CLI and FerretDB; install it and run again');
}

function buildTemporal(): void {
  if (existsSync(TEMPORAL_BIN)) return;
  requireGo();
  console.log('building the Temporal CLI (dev server) from the Go module proxy; takes a few minutes once…');
  sh('go', ['install', TEMPORAL_MODULE], { env: { GOBIN: TOOLS_DIR } });
}

/**
 * FerretDB's own `go install` route is closed (the proxy refuses its version list), and its binary
 * insists on a version file that only its release build writes. So: a pinned wrapper module
 * (ferretdb/go.mod + go.sum, committed), vendored, with that file written in.
 */
function buildFerretDb(): void {
  if (existsSync(FERRETDB_BIN)) return;
  requireGo();
  console.log('building FerretDB from the Go module proxy; takes a minute once…');
  const here = dirname(fileURLToPath(import.meta.url));
  const work = mkdtempSync(join(tmpdir(), 'mchat-ferretdb-'));
  try {
    cpSync(join(here, 'ferretdb'), work, { recursive: true });
    sh('go', ['mod', 'vendor'], { cwd: work });
    writeFileSync(join(work, 'vendor/github.com/FerretDB/FerretDB/build/version/version.txt'), `${FERRETDB_VERSION}\n`);
    const out = join(work, 'ferretdb');
    sh('go', ['build', '-mod=vendor', '-o', out, 'github.com/FerretDB/FerretDB/cmd/ferretdb'], { cwd: work });
    renameSync(out, FERRETDB_BIN);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface InstallOptions {
  /** Mosquitto, for the tests of the external-broker mode. */
  mosquitto?: boolean;
  /** Chromium, for the browser tests; `npm start` never needs it. */
  browser?: boolean;
}

export function installServers({ mosquitto = true, browser = false }: InstallOptions = {}): void {
  mkdirSync(TOOLS_DIR, { recursive: true });
  aptInstall([
    { name: 'redis-server', program: 'redis-server' },
    { name: 'postgresql', program: postgresBin('postgres') },
    ...(mosquitto ? [{ name: 'mosquitto', program: 'mosquitto' }] : []),
    ...(browser
      ? [
          { name: 'chromium', program: 'chromium' },
          // Without them the screenshots show Chinese and emoji as empty boxes.
          { name: 'fonts-noto-cjk', program: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc' },
          { name: 'fonts-noto-color-emoji', program: '/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf' },
        ]
      : []),
  ]);
  buildFerretDb();
  buildTemporal();
  for (const [name, bin] of [['temporal', TEMPORAL_BIN], ['ferretdb', FERRETDB_BIN]] as const) {
    const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).split('\n')[0];
    console.log(`${name}: ${version}`);
  }
}

// Run directly only by `npm test`, which also needs the browser.
if (process.argv[1] === fileURLToPath(import.meta.url)) installServers({ browser: true });
