import { render, screen, waitFor, within, fireEvent } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { ComponentProps } from 'svelte';
import type { CapabilityCard, PublicProfile, UploadResult } from '$schemas';
import Composer from './Composer.svelte';

const sales = { id: 'a_sales', name: '销售助手', is_ai_agent: true } as PublicProfile;
const li = { id: 'u_li', name: 'Li Lei', is_ai_agent: false } as PublicProfile;
const card = (id: string, name: string, examples: string[]): CapabilityCard => ({
  id,
  name,
  description: '',
  examples,
  trigger_keywords: [],
});
const skills = [
  { agent: sales, card: card('order_lookup', '订单查询', ['查订单 SO-1001']) },
  { agent: sales, card: card('order_discount', '订单改价', ['SO-1001 打九五折']) },
];

type Props = ComponentProps<typeof Composer>;

/** The composer with fakes of its collaborators; `onsend` accepts every message. */
function compose(over: Partial<Props> = {}) {
  const props = {
    conversationId: 'g:ops',
    online: true,
    onsend: vi.fn<Props['onsend']>(async () => true),
    searchPeople: vi.fn<Props['searchPeople']>(async () => []),
    skills,
    disabled: false,
    placeholder: 'Message Ops',
    upload: vi.fn<Props['upload']>(() => new Promise<UploadResult>(() => {})),
    maxUploadBytes: 1000,
    ...over,
  };
  const result = render(Composer, props);
  const box = screen.getByRole('textbox', { name: 'Message' });
  return { ...result, props, box, user: userEvent.setup() };
}

describe('Composer: sending', () => {
  it('sends on Enter, with the text, and empties the box', async () => {
    const { box, user, props } = compose();
    await user.type(box, 'Hello team');
    await user.keyboard('{Enter}');
    expect(props.onsend).toHaveBeenCalledExactlyOnceWith('Hello team', [], []);
    expect(box).toHaveValue('');
  });

  it('breaks the line on Shift+Enter instead', async () => {
    const { box, user, props } = compose();
    await user.type(box, 'line one');
    await user.keyboard('{Shift>}{Enter}{/Shift}');
    await user.type(box, 'line two');
    expect(props.onsend).not.toHaveBeenCalled();
    expect(box).toHaveValue('line one\nline two');
  });

  it('leaves an IME composition’s Enter to the IME', async () => {
    const { box, user, props } = compose();
    await user.type(box, 'dingdan');
    // The Enter that confirms the candidate characters: keydown with isComposing.
    await fireEvent.keyDown(box, { key: 'Enter', code: 'Enter', isComposing: true });
    expect(props.onsend).not.toHaveBeenCalled();
    expect(box).toHaveValue('dingdan');
    await fireEvent.keyDown(box, { key: 'Enter', code: 'Enter' });
    expect(props.onsend).toHaveBeenCalledExactlyOnceWith('dingdan', [], []);
  });

  it('sends nothing for blank text, and sends with the Send button', async () => {
    const { box, user, props } = compose();
    const send = screen.getByRole('button', { name: 'Send' });
    expect(send).toBeDisabled();
    await user.type(box, '   {Enter}');
    expect(props.onsend).not.toHaveBeenCalled();
    await user.type(box, 'ok');
    await user.click(send);
    expect(props.onsend).toHaveBeenCalledExactlyOnceWith('   ok', [], []);
  });

  it('keeps the text when the send failed', async () => {
    const onsend = vi.fn<Props['onsend']>(async () => false);
    const { box, user } = compose({ onsend });
    await user.type(box, 'Hello{Enter}');
    expect(onsend).toHaveBeenCalledOnce();
    expect(box).toHaveValue('Hello');
  });
});

describe('Composer: @ autocomplete', () => {
  it('offers the matching skills for @订单, and ArrowDown then Enter writes the picked one', async () => {
    const { box, user, props } = compose();
    await user.type(box, '@订单');
    const list = screen.getByRole('listbox', { name: 'People, agents and skills' });
    const options = within(list).getAllByRole('option');
    expect(options.map((o) => o.textContent)).toEqual([
      expect.stringContaining('订单查询'),
      expect.stringContaining('订单改价'),
    ]);
    expect(options[0]).toHaveAttribute('aria-selected', 'true');
    expect(box).toHaveAttribute('aria-controls', list.id);
    expect(box).toHaveAttribute('aria-activedescendant', options[0]!.id);

    await user.keyboard('{ArrowDown}');
    expect(options[1]).toHaveAttribute('aria-selected', 'true');
    expect(box).toHaveAttribute('aria-activedescendant', options[1]!.id);

    // Enter picks the candidate, it does not send.
    await user.keyboard('{Enter}');
    expect(props.onsend).not.toHaveBeenCalled();
    expect(screen.queryByRole('listbox')).not.toBeInTheDocument();
    expect(box).toHaveValue('@a_sales SO-1001 打九五折');
    expect(box).toHaveFocus();

    await user.keyboard('{Enter}');
    expect(props.onsend).toHaveBeenCalledExactlyOnceWith('@a_sales SO-1001 打九五折', ['a_sales'], []);
  });

  it('offers the colleagues the gateway finds for @Sal, and a click picks one', async () => {
    const searchPeople = vi.fn<Props['searchPeople']>(async () => [li, sales]);
    const { box, user, props } = compose({ searchPeople, skills: [] });
    await user.type(box, 'ask @Sal');
    const option = await screen.findByRole('option', { name: /销售助手/ });
    expect(searchPeople).toHaveBeenLastCalledWith('Sal');
    expect(option).toHaveTextContent('AI');
    await user.click(option);
    // The textarea keeps the focus: a mouse pick does not blur it (which would close the list).
    expect(box).toHaveFocus();
    expect(box).toHaveValue('ask @a_sales ');
    await user.type(box, 'hi{Enter}');
    expect(props.onsend).toHaveBeenCalledExactlyOnceWith('ask @a_sales hi', ['a_sales'], []);
  });

  it('closes the list on Escape, keeping the text', async () => {
    const { box, user, props } = compose();
    await user.type(box, '@订单');
    expect(screen.getByRole('listbox')).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('listbox')).not.toBeInTheDocument();
    expect(box).not.toHaveAttribute('aria-activedescendant');
    expect(box).toHaveValue('@订单');
    // With the list closed, Enter sends the text as typed, mentioning nobody.
    await user.keyboard('{Enter}');
    expect(props.onsend).toHaveBeenCalledExactlyOnceWith('@订单', [], []);
  });

  it('does not mention someone whose @id was deleted again', async () => {
    const { box, user, props } = compose();
    await user.type(box, '@订单{Enter}');
    expect(box).toHaveValue('@a_sales 查订单 SO-1001');
    await user.clear(box);
    await user.type(box, 'never mind{Enter}');
    expect(props.onsend).toHaveBeenCalledExactlyOnceWith('never mind', [], []);
  });
});

describe('Composer: offline', () => {
  it('keeps what is sent offline in the outbox and sends it once online', async () => {
    const onsend = vi.fn<Props['onsend']>(async () => true);
    const { box, user, rerender } = compose({ online: false, onsend });
    await user.type(box, 'first{Enter}');
    await user.type(box, 'second{Enter}');
    expect(onsend).not.toHaveBeenCalled();
    expect(box).toHaveValue('');
    expect(screen.getByRole('status')).toHaveTextContent('2 message(s) will be sent when the connection is back');

    await rerender({ online: true });
    await waitFor(() => expect(onsend).toHaveBeenCalledTimes(2));
    expect(onsend.mock.calls).toEqual([
      ['first', [], []],
      ['second', [], []],
    ]);
    await waitFor(() => expect(screen.queryByRole('status')).not.toBeInTheDocument());
  });

  it('does not resend a refused message over and over while online', async () => {
    // Refused by the gateway: an answer that comes back over the network, a moment later.
    const onsend = vi.fn<Props['onsend']>(() => new Promise((resolve) => setTimeout(() => resolve(false), 1)));
    const { box, user, rerender } = compose({ online: false, onsend });
    await user.type(box, 'refused{Enter}');
    await rerender({ online: true });
    await waitFor(() => expect(onsend).toHaveBeenCalled());
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(onsend).toHaveBeenCalledOnce();
    expect(screen.getByRole('status')).toHaveTextContent('1 message(s)');
    // It is tried again when the connection comes back, and goes once accepted.
    onsend.mockResolvedValue(true);
    await rerender({ online: false });
    await rerender({ online: true });
    await waitFor(() => expect(screen.queryByRole('status')).not.toBeInTheDocument());
    expect(onsend).toHaveBeenCalledTimes(2);
  });

  it('queues what is written behind a refused message, in order, until the outbox is discarded', async () => {
    const onsend = vi.fn<Props['onsend']>(async () => false);
    const { box, user, rerender } = compose({ online: false, onsend });
    await user.type(box, 'refused{Enter}');
    await rerender({ online: true });
    await waitFor(() => expect(onsend).toHaveBeenCalledOnce());
    await user.type(box, 'later{Enter}');
    expect(screen.getByRole('status')).toHaveTextContent('2 message(s)');
    await waitFor(() => expect(onsend).toHaveBeenCalledTimes(2));
    // The older message is tried first and still refused, so the newer one never jumps it.
    expect(onsend.mock.calls.map(([text]) => text)).toEqual(['refused', 'refused']);
    await user.click(screen.getByRole('button', { name: 'Discard' }));
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
  });

  it('keeps the outbox across a remount of the same conversation', async () => {
    const first = compose({ online: false });
    await first.user.type(first.box, 'queued{Enter}');
    first.unmount();
    const { props } = compose({ online: true });
    await waitFor(() => expect(props.onsend).toHaveBeenCalledExactlyOnceWith('queued', [], []));
  });
});

describe('Composer: attachments', () => {
  const picker = (container: HTMLElement) => container.querySelector<HTMLInputElement>('input[type="file"]')!;

  it('refuses a file over the limit before uploading it', async () => {
    const { container, user, props } = compose({ maxUploadBytes: 1000 });
    await user.upload(picker(container), new File(['x'.repeat(1001)], 'big.bin', { type: 'application/octet-stream' }));
    expect(screen.getByRole('alert')).toHaveTextContent(/big\.bin is larger than .* and was not attached\./);
    expect(props.upload).not.toHaveBeenCalled();
    expect(screen.queryByRole('list', { name: 'Files to send' })).not.toBeInTheDocument();
  });

  it('uploads a file under the limit, shows its progress, and sends it with the message', async () => {
    let progress: (fraction: number) => void = () => {};
    let done: (result: UploadResult) => void = () => {};
    const upload = vi.fn<Props['upload']>((_file, onprogress) => {
      progress = onprogress;
      return new Promise((resolve) => (done = resolve));
    });
    const { container, box, user, props } = compose({ upload });
    const file = new File(['hello'], 'notes.txt', { type: 'text/plain' });
    await user.upload(picker(container), file);
    expect(upload).toHaveBeenCalledOnce();
    expect(upload.mock.calls[0]![0]).toBe(file);
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();

    const bar = screen.getByRole('progressbar', { name: 'Uploading notes.txt' });
    expect(bar).toHaveAttribute('value', '0');
    progress(0.5);
    await waitFor(() => expect(bar).toHaveAttribute('value', '0.5'));
    // Nothing goes out while a file is on its way.
    await user.type(box, 'see attached{Enter}');
    expect(props.onsend).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();

    const stored = {
      object_id: '01JABCDEFGHJKMNPQRSTVWXYZ0',
      name: 'notes.txt',
      size: 5,
      type: 'text/plain',
      sha256: 'a'.repeat(64),
    };
    done(stored);
    const tray = screen.getByRole('list', { name: 'Files to send' });
    expect(await within(tray).findByText(/ready to send/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Send' }));
    expect(props.onsend).toHaveBeenCalledExactlyOnceWith('see attached', [], [stored]);
    // Sent files leave the tray.
    expect(screen.queryByRole('list', { name: 'Files to send' })).not.toBeInTheDocument();
  });

  it('sends a file without any text', async () => {
    const stored = {
      object_id: '01JABCDEFGHJKMNPQRSTVWXYZ1',
      name: 'a.png',
      size: 3,
      type: 'image/png',
      sha256: 'b'.repeat(64),
    };
    const upload = vi.fn<Props['upload']>(async (_file, onprogress) => {
      onprogress(1);
      return stored;
    });
    const { container, box, user, props } = compose({ upload });
    await user.upload(picker(container), new File(['png'], 'a.png', { type: 'image/png' }));
    await screen.findByText(/ready to send/);
    await user.click(box);
    await user.keyboard('{Enter}');
    expect(props.onsend).toHaveBeenCalledExactlyOnceWith('', [], [stored]);
  });

  it('shows why an upload failed, and sends nothing for it', async () => {
    const upload = vi.fn<Props['upload']>(async () => {
      throw Object.assign(new Error('the file store is full'), { code: 'E_UNAVAILABLE' });
    });
    const { container, user, props } = compose({ upload });
    await user.upload(picker(container), new File(['x'], 'x.txt', { type: 'text/plain' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('the file store is full');
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
    expect(props.onsend).not.toHaveBeenCalled();
  });
});
