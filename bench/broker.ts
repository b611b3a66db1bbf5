import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import { startApp, tsx, waitFor, type AppProcess } from '../scripts/processes.js';
import { freePort, portOpen } from '../scripts/servers/servers.js';

/**
 * The raw-broker baseline: a standalone aedes, configured as the gateway configures its embedded
 * one but with no authentication, ACL or gateway behind it, in a child process of its own (as the
 * gateway is), so the bench's clients do not share an event loop with it.
 */
export interface RawBroker {
  url: string;
  app: AppProcess;
  stop(): Promise<void>;
}

export async function startRawBroker(logDir: string): Promise<RawBroker> {
  const port = await freePort();
  const app = startApp('raw-aedes', tsx(fileURLToPath(import.meta.url)), { BENCH_AEDES_PORT: String(port) }, logDir);
  await waitFor('the raw aedes broker', () => portOpen(port), app);
  return { url: `mqtt://127.0.0.1:${port}`, app, stop: () => app.stop() };
}

async function main(): Promise<void> {
  const port = Number(process.env.BENCH_AEDES_PORT);
  const aedes = await Aedes.createBroker({ drainTimeout: 30_000 });
  const server = createServer({ noDelay: process.env.BENCH_NODELAY === '1' }, aedes.handle);
  server.listen(port, '127.0.0.1');
  const stop = () => aedes.close(() => server.close(() => process.exit(0)));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
