import { z } from 'zod';
import { DepartmentId, EmployeeId, EpochMs, GroupId, Id } from './ids.js';

export const EmployeeStatus = z.enum(['active', 'disabled']);
export const Role = z.enum(['member', 'admin']);

const agentProfileFields = {
  model_type: z.string().min(1).max(64),
  capabilities: z.array(Id).max(64),
  trigger_keywords: z.array(z.string().min(1).max(64)).max(64),
  webhook_endpoint: z.url({ protocol: /^https?$/ }),
  response_timeout: z.number().int().min(100).max(600_000),
  auto_join_groups: z.array(GroupId).max(256),
};

export const AgentProfile = z.object({
  ...agentProfileFields,
  capabilities: agentProfileFields.capabilities.default([]),
  trigger_keywords: agentProfileFields.trigger_keywords.default([]),
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
  return { ...rest, agent_profile: { model_type, capabilities, trigger_keywords } };
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
