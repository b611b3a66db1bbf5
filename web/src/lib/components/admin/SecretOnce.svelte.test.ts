import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import SecretOnce from './SecretOnce.svelte';

const SECRET = 'kq3Vn8-Rz1_pW0aLx7TbYc2dEfGhJmNs4uQ9oK5iH6w';

function show() {
  const onclose = vi.fn();
  // userEvent.setup() gives the page a clipboard of its own to copy into.
  const user = userEvent.setup();
  render(SecretOnce, { title: 'API secret of Billing Bot', secret: SECRET, onclose });
  const dialog = screen.getByRole('dialog', { name: 'API secret of Billing Bot' });
  return { onclose, user, dialog };
}

describe('SecretOnce: an API secret shown once', () => {
  it('shows the secret with the warning that it is shown only this once', () => {
    const { dialog } = show();
    expect(within(dialog).getByRole('note')).toHaveTextContent('Copy it now: it is shown only this once.');
    expect(within(dialog).getByRole('note')).toHaveTextContent(/nobody can see it again/);
    const field = within(dialog).getByLabelText('API secret');
    expect(field).toHaveValue(SECRET);
    expect(field).toHaveAttribute('readonly');
  });

  it('copies it to the clipboard and says so', async () => {
    const { dialog, user } = show();
    expect(within(dialog).getByRole('status')).toHaveTextContent('');
    await user.click(within(dialog).getByRole('button', { name: 'Copy' }));
    expect(await navigator.clipboard.readText()).toBe(SECRET);
    expect(within(dialog).getByRole('status')).toHaveTextContent('Copied to the clipboard.');
  });

  it('selects it for copying by hand when the clipboard refuses', async () => {
    const { dialog, user } = show();
    const write = vi.spyOn(navigator.clipboard, 'writeText').mockRejectedValue(new DOMException('denied', 'NotAllowedError'));
    await user.click(within(dialog).getByRole('button', { name: 'Copy' }));
    expect(write).toHaveBeenCalledWith(SECRET);
    expect(within(dialog).getByRole('status')).toHaveTextContent(/Could not copy/);
    const field = within(dialog).getByLabelText<HTMLInputElement>('API secret');
    expect([field.selectionStart, field.selectionEnd]).toEqual([0, SECRET.length]);
  });

  it.each([
    ['the button that says it is stored', (d: HTMLElement, u: ReturnType<typeof userEvent.setup>) => u.click(within(d).getByRole('button', { name: 'I have stored it, close' }))],
    ['the × of the sheet', (d: HTMLElement, u: ReturnType<typeof userEvent.setup>) => u.click(within(d).getByRole('button', { name: 'Close' }))],
    ['Escape', (_d: HTMLElement, u: ReturnType<typeof userEvent.setup>) => u.keyboard('{Escape}')],
  ])('is closed with %s, which tells the caller to forget it', async (_how, close) => {
    const { dialog, user, onclose } = show();
    within(dialog).getByLabelText('API secret').focus();
    await close(dialog, user);
    expect(onclose).toHaveBeenCalledOnce();
  });

  it('keeps the secret nowhere but on the screen: no storage, no cookie, no address', async () => {
    const { dialog, user } = show();
    await user.click(within(dialog).getByRole('button', { name: 'Copy' }));
    for (const storage of [localStorage, sessionStorage]) {
      const kept = Array.from({ length: storage.length }, (_, i) => storage.getItem(storage.key(i)!) ?? '');
      expect(kept.some((v) => v.includes(SECRET))).toBe(false);
    }
    expect(document.cookie).not.toContain(SECRET);
    expect(location.href).not.toContain(SECRET);
  });
});
