import { createHmac } from 'node:crypto';

/**
 * The demo agents and where the demo service serves each one. The seed (agents/demo/seed.ts) builds
 * their webhooks from these paths, so the two cannot drift apart.
 */
export const DEMO_AGENT_PATHS = {
  a_sales: '/agents/sales',
  a_finance: '/agents/finance',
  a_research: '/agents/research',
} as const;

export type DemoAgentId = keyof typeof DEMO_AGENT_PATHS;

export const DEMO_AGENT_IDS = Object.keys(DEMO_AGENT_PATHS) as DemoAgentId[];

/**
 * Each demo agent's own API secret, derived from the one DEMO_AGENT_SECRET that the gateway (which
 * seeds the credentials) and the demo service share: every agent still signs with a key of its
 * own, as agents MChat creates do, without a secret per agent to configure.
 */
export function demoAgentSecret(serviceSecret: string, agentId: string): string {
  return createHmac('sha256', serviceSecret).update(`mchat demo agent ${agentId}`).digest('base64url');
}
