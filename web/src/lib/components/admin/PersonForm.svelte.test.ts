import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushSync, type ComponentProps } from 'svelte';
import type { AdminEmployee, PublicProfile } from '$schemas';
import { switchLocale } from '$lib/i18n/locale.svelte';
import PersonForm from './PersonForm.svelte';

type Props = ComponentProps<typeof PersonForm>;

const wang = { id: 'u_wang', name: 'Wang Fang', title: 'Head of Sales', is_ai_agent: false } as PublicProfile;
const departments = [{ id: 'dep_sales', name: 'Sales', depth: 0 }, { id: 'dep_emea', name: 'EMEA', depth: 1 }];

function form(over: Partial<Props> = {}) {
  const props = {
    departments,
    searchPeople: vi.fn<Props['searchPeople']>(async () => [wang]),
    nameOf: (id: string) => (id === 'u_wang' ? 'Wang Fang' : id),
    create: vi.fn<NonNullable<Props['create']>>(async () => null),
    edit: vi.fn<NonNullable<Props['edit']>>(async () => null),
    oncancel: vi.fn(),
    ...over,
  };
  render(PersonForm, props);
  return { props, user: userEvent.setup() };
}

/** The problem shown for the field labelled `label`, as its control announces it. */
function problemOf(label: string): string | null {
  const control = screen.getByLabelText(label);
  const ids = control.getAttribute('aria-describedby')?.split(' ') ?? [];
  return ids.map((id) => document.getElementById(id)).find((el) => el?.classList.contains('error'))?.textContent ?? null;
}

describe('PersonForm: a new person, checked with the gateway’s schema before anything is sent', () => {
  afterEach(() => switchLocale('en'));

  it('sends nothing while required fields are empty, says which, and takes the focus to the first', async () => {
    const { props, user } = form();
    await user.click(screen.getByRole('button', { name: 'Create person' }));
    expect(props.create).not.toHaveBeenCalled();
    expect(screen.getByRole('alert')).toHaveTextContent('Check the fields marked.');
    expect(problemOf('Employee id')).toBe('Required.');
    expect(problemOf('Name')).toBe('Required.');
    expect(problemOf('Password')).toBe('Required.');
    expect(problemOf('Title')).toBeNull();
    expect(screen.getByLabelText('Employee id')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Employee id')).toHaveFocus();
  });

  it('explains an id with characters topics cannot carry, a short password and a name too long', async () => {
    const { props, user } = form();
    await user.type(screen.getByLabelText('Employee id'), 'u#chen');
    await user.type(screen.getByLabelText('Name'), 'x'.repeat(129));
    await user.type(screen.getByLabelText('Password'), 'short');
    await user.click(screen.getByRole('button', { name: 'Create person' }));
    expect(props.create).not.toHaveBeenCalled();
    expect(problemOf('Employee id')).toBe('Letters, digits, _ . - only, at most 64.');
    expect(problemOf('Password')).toBe('At least 8 characters.');
    // maxlength keeps typing to 128 characters, so the name is fine.
    expect(problemOf('Name')).toBeNull();
  });

  it('says it in the reader’s language', async () => {
    const { user } = form();
    switchLocale('zh');
    flushSync();
    await user.click(screen.getByRole('button', { name: '创建员工' }));
    expect(problemOf('员工编号')).toBe('必填。');
    expect(screen.getByRole('alert')).toHaveTextContent('请检查标出的字段。');
  });

  it('sends the payload as the gateway parses it: lists split, empty choices null, a manager picked by name', async () => {
    const { props, user } = form();
    await user.type(screen.getByLabelText('Employee id'), 'u_chen');
    await user.type(screen.getByLabelText('Name'), '陈静');
    await user.type(screen.getByLabelText('Title'), 'Ops lead');
    await user.selectOptions(screen.getByLabelText('Department'), 'dep_emea');
    await user.type(screen.getByLabelText('Manager'), 'Wang');
    await user.click(await screen.findByRole('button', { name: /^Wang Fang/ }));
    expect(props.searchPeople).toHaveBeenLastCalledWith('Wang');
    await user.type(screen.getByLabelText('Skills'), 'logistics，planning, ');
    await user.selectOptions(screen.getByLabelText('Role'), 'admin');
    await user.click(screen.getByRole('button', { name: 'Generate' }));
    const password = (screen.getByLabelText('Password') as HTMLInputElement).value;
    expect(password).toMatch(/^[A-Za-z2-9]{16}$/);
    await user.click(screen.getByRole('button', { name: 'Create person' }));
    expect(props.create).toHaveBeenCalledExactlyOnceWith({
      id: 'u_chen', name: '陈静', title: 'Ops lead', department_id: 'dep_emea', manager_id: 'u_wang',
      skills_badge: ['logistics', 'planning'], role: 'admin', password,
    });
  });

  it('shows the gateway’s refusal at the field it names, and above the buttons', async () => {
    const { props, user } = form({ create: vi.fn(async () => ({ text: 'employee id "u_li" is taken', field: 'id' })) });
    await user.type(screen.getByLabelText('Employee id'), 'u_li');
    await user.type(screen.getByLabelText('Name'), 'Li Two');
    await user.type(screen.getByLabelText('Password'), 'long-enough-1');
    await user.click(screen.getByRole('button', { name: 'Create person' }));
    expect(props.create).toHaveBeenCalledOnce();
    await waitFor(() => expect(problemOf('Employee id')).toBe('employee id "u_li" is taken'));
    expect(screen.getByRole('alert')).toHaveTextContent('employee id "u_li" is taken');
  });
});

describe('PersonForm: editing a person sends only what changed, each part by its own op', () => {
  const li: AdminEmployee = {
    id: 'u_li', name: 'Li Lei', title: 'Account Manager', department_id: 'dep_sales', manager_id: 'u_wang',
    skills_badge: ['negotiation'], role: 'member', status: 'active', is_ai_agent: false,
  };

  it('has no id, role or password to set; a changed title and department are two ops; the manager, untouched, none', async () => {
    const { props, user } = form({ employee: li });
    expect(screen.queryByLabelText('Employee id')).toBeNull();
    expect(screen.queryByLabelText('Password')).toBeNull();
    expect(screen.getByLabelText('Name')).toHaveValue('Li Lei');
    expect(screen.getByRole('button', { name: 'Change Wang Fang' })).toBeInTheDocument();
    await user.clear(screen.getByLabelText('Title'));
    await user.type(screen.getByLabelText('Title'), 'Key Account Manager');
    await user.selectOptions(screen.getByLabelText('Department'), '');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(props.edit).toHaveBeenCalledExactlyOnceWith({
      update: { id: 'u_li', title: 'Key Account Manager' },
      move: { id: 'u_li', department_id: null },
    });
  });

  it('refuses an empty name without sending', async () => {
    const { props, user } = form({ employee: li });
    await user.clear(screen.getByLabelText('Name'));
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(props.edit).not.toHaveBeenCalled();
    expect(problemOf('Name')).toBe('Required.');
    expect(within(screen.getByRole('alert')).getByText('Check the fields marked.')).toBeInTheDocument();
  });
});
