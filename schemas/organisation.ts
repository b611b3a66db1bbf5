import { z } from 'zod';
import { DepartmentId, EmployeeId, EpochMs, GroupId, Id, isTopicId } from './ids.js';

export const EmployeeStatus = z.enum(['active', 'disabled']);
export const Role = z.enum(['member', 'admin']);

/** What an agent can be asked: `id` in topics and routing, the rest for the people asking. */
export const CapabilityCard = z.object({
  id: Id,
  /** In any script: 订单查询. */
  name: z.string().trim().min(1).max(64),
  description: z.string().max(500).default(''),
  /** Prompts a person can send as they are ("查订单 SO-1001"). */
  examples: z.array(z.string().min(1).max(200)).max(10).default([]),
  /** Text that, in a group message, addresses the agent for this capability. */
  trigger_keywords: z.array(z.string().min(1).max(64)).max(32).default([]),
});
export type CapabilityCard = z.infer<typeof CapabilityCard>;

/**
 * A capability's id from its name: the name itself when it is an id already, a slug of a Latin
 * name ("Order status" → order_status), or a hash of any other ("订单查询" → cap_…), so the same
 * name always gives the same id, and every id is usable in topics.
 */
export function capabilityId(name: string): string {
  const trimmed = name.trim();
  if (isTopicId(trimmed)) return trimmed;
  const slug = trimmed.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  if (/^[\x20-\x7e]+$/.test(trimmed) && slug) return slug.slice(0, 64);
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(trimmed)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return `cap_${hash.toString(16).padStart(8, '0')}`;
}

/** A card, or as the design writes capabilities, just a name ("订单查询"): a card of that name. */
const Capability = z.union([
  z.string().trim().min(1).max(64).transform((name) => ({ id: capabilityId(name), name })).pipe(CapabilityCard),
  CapabilityCard,
]);

/**
 * Seconds, as the design writes it (`15`), 1–600. A value above 600 is milliseconds, as older
 * documents and clients give it. Kept in milliseconds, always 1,000 or more, so reading a stored
 * value again gives the same.
 */
const ResponseTimeout = z.number().positive()
  .transform((v) => (v > 600 ? v : v * 1000))
  .pipe(z.number().int('a whole number of milliseconds').min(1000, 'at least 1 second').max(600_000, 'at most 600 seconds'));

const agentProfileFields = {
  model_type: z.string().min(1).max(64),
  capabilities: z.array(Capability).max(64)
    .refine((cards) => new Set(cards.map((c) => c.id)).size === cards.length, 'two capabilities with one id'),
  trigger_keywords: z.array(z.string().min(1).max(64)).max(64),
  webhook_endpoint: z.url({ protocol: /^https?$/ }),
  response_timeout: ResponseTimeout,
  auto_join_groups: z.array(GroupId).max(256),
};

export const AgentProfile = z.object({
  ...agentProfileFields,
  capabilities: agentProfileFields.capabilities.default([]),
  trigger_keywords: agentProfileFields.trigger_keywords.default([]),
  // A default is not parsed again: it is given as kept, in milliseconds.
  response_timeout: agentProfileFields.response_timeout.default(30_000),
  auto_join_groups: agentProfileFields.auto_join_groups.default([]),
});

/** A change to an agent profile: only the fields given, no defaults filled in. */
export const AgentProfilePatch = z.object(agentProfileFields).partial();
export type AgentProfile = z.infer<typeof AgentProfile>;

/** Humans and agents share one collection; `is_ai_agent` and `agent_profile` tell them apart. */
export const Employee = z
  .object({
    id: EmployeeId,
    name: z.string().min(1).max(128),
    avatar: z.string().max(1024).optional(),
    title: z.string().max(128).default(''),
    department_id: DepartmentId.nullable(),
    manager_id: EmployeeId.nullable(),
    skills_badge: z.array(z.string().min(1).max(64)).max(64).default([]),
    role: Role.default('member'),
    status: EmployeeStatus.default('active'),
    is_ai_agent: z.boolean().default(false),
    agent_profile: AgentProfile.optional(),
    created_at: EpochMs.optional(),
  })
  .refine((e) => !e.is_ai_agent || e.agent_profile !== undefined, {
    message: 'an AI agent needs an agent_profile',
    path: ['agent_profile'],
  })
  .refine((e) => e.is_ai_agent || e.agent_profile === undefined, {
    message: 'only an AI agent has an agent_profile',
    path: ['agent_profile'],
  })
  .refine((e) => e.manager_id !== e.id, { message: 'cannot manage oneself', path: ['manager_id'] });
export type Employee = z.infer<typeof Employee>;

/** What anyone in the organisation may see of an employee: no credentials, no webhook. */
export const PublicProfile = z.object({
  ...Employee.shape,
  agent_profile: AgentProfile.pick({ model_type: true, capabilities: true, trigger_keywords: true }).optional(),
});
export type PublicProfile = z.infer<typeof PublicProfile>;

export function publicProfile(e: Employee): PublicProfile {
  const { agent_profile, ...rest } = e;
  if (!agent_profile) return rest;
  const { model_type, capabilities, trigger_keywords } = agent_profile;
  return { ...rest, agent_profile: { model_type, capabilities: capabilityCards(capabilities), trigger_keywords } };
}

/**
 * The cards of a stored agent: documents from before cards hold ids only ("order_lookup"), read
 * as cards of that name.
 */
export function capabilityCards(stored: readonly (CapabilityCard | string)[]): CapabilityCard[] {
  return stored.map((c) => (typeof c === 'string' ? CapabilityCard.parse({ id: capabilityId(c), name: c }) : c));
}

/**
 * The skills active agents offer, by capability id, sorted: each with its card (as the first agent
 * by id describes it) and its agents' public profiles.
 */
export function offeredSkills(agents: readonly Employee[]): { skill: string; card: CapabilityCard; agents: PublicProfile[] }[] {
  const bySkill = new Map<string, { skill: string; card: CapabilityCard; agents: PublicProfile[] }>();
  for (const agent of [...agents].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const profile = publicProfile(agent);
    for (const card of profile.agent_profile?.capabilities ?? []) {
      const entry = bySkill.get(card.id) ?? { skill: card.id, card, agents: [] };
      entry.agents.push(profile);
      bySkill.set(card.id, entry);
    }
  }
  return [...bySkill.values()].sort((a, b) => (a.skill < b.skill ? -1 : a.skill > b.skill ? 1 : 0));
}

export const Department = z
  .object({
    id: DepartmentId,
    name: z.string().min(1).max(128),
    parent_id: DepartmentId.nullable(),
    head_id: EmployeeId.nullable().default(null),
  })
  .refine((d) => d.parent_id !== d.id, { message: 'cannot be its own parent', path: ['parent_id'] });
export type Department = z.infer<typeof Department>;

export const Group = z.object({
  id: GroupId,
  name: z.string().min(1).max(128),
  owner_id: EmployeeId,
  members: z.array(EmployeeId).min(1).max(100_000),
  created_at: EpochMs.optional(),
  dissolved: z.boolean().default(false),
});
export type Group = z.infer<typeof Group>;
