import { loadConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { startGateway } from './gateway.js';

/** The gateway process: broker (embedded or external), request handling and the HTTP API. */
const config = loadConfig();
const log = createLogger('gateway', config.LOG_LEVEL);

process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));

try {
  const gateway = await startGateway(config, log);
  const stop = async (signal: string) => {
    log.info({ signal }, 'gateway stopping');
    await gateway.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
} catch (err) {
  log.fatal({ err }, 'gateway failed to start');
  process.exit(1);
}
