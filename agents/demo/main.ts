import { resolve } from 'node:path';
import { localSecret } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { createAgentServer, type HostedAgent } from '../sdk/index.js';
import { financeAgent, researchAgent, salesAgent } from './agents.js';
import { DEMO_AGENT_IDS, DEMO_AGENT_PATHS, demoAgentSecret, type DemoAgentId } from './roster.js';

/**
 * The demo agents' webhook service (see agents/demo/seed.ts: a_sales, a_finance, a_research). It is an
 * outside service as any agent would be: it knows its own secret and port, and where MChat takes
 * asynchronous answers, nothing else of MChat's configuration.
 */
const env = process.env;
const log = createLogger('demo-agent', env.LOG_LEVEL);
const port = Number(env.DEMO_AGENT_PORT ?? 8090);
const secret = env.DEMO_AGENT_SECRET ?? (env.NODE_ENV === 'production'
  ? undefined
  : localSecret(resolve(env.MCHAT_DATA_DIR ?? '.mchat'), 'DEMO_AGENT_SECRET'));
if (!secret) throw new Error('DEMO_AGENT_SECRET must be set in production');
// Beside the gateway by default, as under `npm start` and in the tests' stacks.
const mchatUrl = env.DEMO_AGENT_MCHAT_URL ?? `http://127.0.0.1:${env.HTTP_PORT ?? 8080}`;

const handlers = { a_sales: salesAgent, a_finance: financeAgent, a_research: researchAgent } satisfies Record<DemoAgentId, HostedAgent['handle']>;
const hosted = (id: DemoAgentId): [string, HostedAgent] => [DEMO_AGENT_PATHS[id], { secret: demoAgentSecret(secret, id), handle: handlers[id] }];

const server = createAgentServer({
  agents: Object.fromEntries(DEMO_AGENT_IDS.map(hosted)),
  mchatUrl,
  onError: (err) => log.error({ err }, 'agent failed'),
});
server.listen(port, env.DEMO_AGENT_HOST ?? '127.0.0.1', () => log.info({ port, mchatUrl }, 'demo agents listening'));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => server.close(() => process.exit(0)));
