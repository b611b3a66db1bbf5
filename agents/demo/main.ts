import { resolve } from 'node:path';
import { localSecret } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { createAgentServer } from '../sdk/index.js';
import { salesAgent } from './agents.js';

/**
 * The demo agents' webhook service (see gateway/seed.ts: a_sales). It is an outside service as
 * any agent would be: it knows its own secret and port, nothing of MChat's configuration.
 */
const env = process.env;
const log = createLogger('demo-agent', env.LOG_LEVEL);
const port = Number(env.DEMO_AGENT_PORT ?? 8090);
const secret = env.DEMO_AGENT_SECRET ?? (env.NODE_ENV === 'production'
  ? undefined
  : localSecret(resolve(env.MCHAT_DATA_DIR ?? '.mchat'), 'DEMO_AGENT_SECRET'));
if (!secret) throw new Error('DEMO_AGENT_SECRET must be set in production');

const server = createAgentServer({
  secret,
  agents: { '/agents/sales': salesAgent },
  onError: (err) => log.error({ err }, 'agent failed'),
});
server.listen(port, env.DEMO_AGENT_HOST ?? '127.0.0.1', () => log.info({ port }, 'demo agents listening'));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => server.close(() => process.exit(0)));
