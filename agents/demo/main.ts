import { loadConfig, localSecret } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { createAgentServer } from '../sdk/index.js';
import { salesAgent } from './agents.js';

/** The demo agents' webhook service (see scripts/seed.ts: a_sales). */
const config = loadConfig();
const log = createLogger('demo-agent', config.LOG_LEVEL);
const port = Number(process.env.DEMO_AGENT_PORT ?? 8090);
const secret = process.env.DEMO_AGENT_SECRET ?? localSecret(config.MCHAT_DATA_DIR, 'DEMO_AGENT_SECRET');

const server = createAgentServer({
  secret,
  agents: { '/agents/sales': salesAgent },
  onError: (err) => log.error({ err }, 'agent failed'),
});
server.listen(port, process.env.DEMO_AGENT_HOST ?? '127.0.0.1', () => log.info({ port }, 'demo agents listening'));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => server.close(() => process.exit(0)));
