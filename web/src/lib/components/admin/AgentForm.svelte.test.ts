import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { ComponentProps } from 'svelte';
import { capabilityId, type AdminEmployee } from '$schemas';
import AgentForm from './AgentForm.svelte';

type Props = ComponentProps<typeof AgentForm>;

function form(over: Partial<Props> = {}) {
  const props = {
    departments: [{ id: 'dep_finance', name: 'Finance', depth: 0 }],
    searchPeople: vi.fn<Props['searchPeople']>(async () => []),
    nameOf: (id: string) => id,
    create: vi.fn<NonNullable<Props['create']>>(async () => null),
    edit: vi.fn<NonNullable<Props['edit']>>(async () => null),
    oncancel: vi.fn(),
    ...over,
  };
  render(AgentForm, props);
  return { props, user: userEvent.setup() };
}

function problemOf(control: HTMLElement): string | null {
  const ids = control.getAttribute('aria-describedby')?.split(' ') ?? [];
  return ids.map((id) => document.getElementById(id)).find((el) => el?.classList.contains('error'))?.textContent ?? null;
}

const card = (n: number) => screen.getByRole('listitem', { name: `Capability ${n}` });

describe('AgentForm: a new agent, checked with the gateway’s schema', () => {
  it('explains a webhook that is no web address, a timeout out of range and a capability without a name; sends nothing', async () => {
    const { props, user } = form();
    await user.type(screen.getByLabelText('Employee id'), 'a_billing');
    await user.type(screen.getByLabelText('Name'), 'Billing Bot');
    await user.type(screen.getByLabelText('Model type'), 'rules');
    await user.type(screen.getByLabelText('Webhook'), 'billing.example.com');
    await user.type(screen.getByLabelText('Answer within (seconds)'), '0.5');
    await user.click(screen.getByRole('button', { name: 'Add a capability' }));
    expect(within(card(1)).getByLabelText('Name')).toHaveFocus();
    await user.click(screen.getByRole('button', { name: 'Create agent' }));
    expect(props.create).not.toHaveBeenCalled();
    expect(problemOf(screen.getByLabelText('Webhook'))).toBe('A web address starting with http:// or https://.');
    expect(problemOf(screen.getByLabelText('Answer within (seconds)'))).toBe('Between 1 and 600 seconds.');
    expect(problemOf(within(card(1)).getByLabelText('Name'))).toBe('Required.');
    // The first field in the form's order with a problem.
    expect(screen.getByLabelText('Answer within (seconds)')).toHaveFocus();
  });

  it('refuses two capabilities of one name, and clears each problem as soon as it is mended', async () => {
    const { user } = form();
    await user.click(screen.getByRole('button', { name: 'Add a capability' }));
    await user.type(within(card(1)).getByLabelText('Name'), '账单查询');
    await user.click(screen.getByRole('button', { name: 'Add a capability' }));
    await user.type(within(card(2)).getByLabelText('Name'), '账单查询');
    await user.click(screen.getByRole('button', { name: 'Create agent' }));
    expect(screen.getByText('Two capabilities have the same name.')).toBeInTheDocument();
    await user.click(within(card(2)).getByRole('button', { name: 'Remove 账单查询' }));
    expect(screen.queryByText('Two capabilities have the same name.')).toBeNull();
    expect(problemOf(screen.getByLabelText('Employee id'))).toBe('Required.');
    await user.type(screen.getByLabelText('Employee id'), 'a_billing');
    expect(problemOf(screen.getByLabelText('Employee id'))).toBeNull();
  });

  it('sends the agent document as the gateway parses it: seconds, cards with ids from their names, lists split', async () => {
    const { props, user } = form();
    await user.type(screen.getByLabelText('Employee id'), 'a_billing');
    await user.type(screen.getByLabelText('Name'), 'Billing Bot');
    await user.type(screen.getByLabelText('Model type'), 'rules');
    await user.type(screen.getByLabelText('Webhook'), 'https://bots.example.com/billing');
    await user.type(screen.getByLabelText('Answer within (seconds)'), '20');
    await user.type(screen.getByLabelText('Trigger keywords'), 'billing、账单');
    await user.type(screen.getByLabelText('Groups it joins'), 'g_finance');
    await user.click(screen.getByRole('button', { name: 'Add a capability' }));
    await user.type(within(card(1)).getByLabelText('Name'), '账单查询');
    await user.type(within(card(1)).getByLabelText('Examples'), '账单 SO-1001{Enter}{Enter}账单 SO-1002');
    await user.type(within(card(1)).getByLabelText('Keywords'), '账单');
    await user.click(screen.getByRole('button', { name: 'Create agent' }));
    expect(props.create).toHaveBeenCalledExactlyOnceWith({
      id: 'a_billing', name: 'Billing Bot', title: '', department_id: null, manager_id: null, skills_badge: [],
      agent_profile: {
        model_type: 'rules', webhook_endpoint: 'https://bots.example.com/billing', response_timeout: 20_000,
        capabilities: [{ id: capabilityId('账单查询'), name: '账单查询', description: '', examples: ['账单 SO-1001', '账单 SO-1002'], trigger_keywords: ['账单'] }],
        trigger_keywords: ['billing', '账单'], auto_join_groups: ['g_finance'],
      },
    });
  });
});

describe('AgentForm: editing an agent', () => {
  const bot: AdminEmployee = {
    id: 'a_billing', name: 'Billing Bot', title: '', department_id: null, manager_id: 'u_wang', skills_badge: [],
    role: 'member', status: 'active', is_ai_agent: true,
    agent_profile: {
      model_type: 'rules', webhook_endpoint: 'http://127.0.0.1:9/billing', response_timeout: 20_000, trigger_keywords: ['billing'], auto_join_groups: [],
      capabilities: [{ id: 'bill_lookup', name: 'Bill lookup', description: '', examples: [], trigger_keywords: [] }],
    },
  };

  it('sends only the profile fields that changed, and a renamed capability keeps its id', async () => {
    const { props, user } = form({ employee: bot });
    expect(screen.getByLabelText('Answer within (seconds)')).toHaveValue('20');
    await user.clear(within(card(1)).getByLabelText('Name'));
    await user.type(within(card(1)).getByLabelText('Name'), '账单查询');
    await user.type(screen.getByLabelText('Trigger keywords'), ', 账单');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(props.edit).toHaveBeenCalledExactlyOnceWith({
      profile: {
        id: 'a_billing',
        agent_profile: {
          capabilities: [{ id: 'bill_lookup', name: '账单查询', description: '', examples: [], trigger_keywords: [] }],
          trigger_keywords: ['billing', '账单'],
        },
      },
    });
  });
});
