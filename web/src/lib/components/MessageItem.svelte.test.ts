import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushSync, type ComponentProps } from 'svelte';
import { message } from '$lib/fixtures';
import { switchLocale } from '$lib/i18n/locale.svelte';
import MessageItem from './MessageItem.svelte';

const names: Record<string, string> = { u_li: 'Li Lei', u_wang: 'Wang Fang', a_sales: 'Sales assistant' };
const nameOf = (id: string) => names[id] ?? id;

function show(over: Partial<ComponentProps<typeof MessageItem>> = {}) {
  return render(MessageItem, {
    msg: message(7, { body: { text: 'Is SO-1001 shipped?', mentions: [], attachments: [] } }),
    sender: 'Li Lei',
    agent: false,
    mine: false,
    compact: false,
    nameOf,
    ...over,
  });
}

describe('MessageItem', () => {
  it('shows the text and who sent it, with an AI badge only for an agent', () => {
    const { unmount } = show();
    const item = screen.getByRole('article');
    expect(within(item).getByText('Is SO-1001 shipped?')).toBeInTheDocument();
    expect(within(item).getByText('Li Lei')).toBeInTheDocument();
    expect(within(item).queryByText('AI')).not.toBeInTheDocument();
    unmount();

    show({
      msg: message(8, { from: 'a_sales', body: { text: 'Shipped on Monday.', mentions: [], attachments: [] } }),
      sender: 'Sales assistant',
      agent: true,
    });
    expect(screen.getByText('Sales assistant')).toBeInTheDocument();
    expect(screen.getByText('AI')).toBeInTheDocument();
  });

  it('names one’s own messages "You", and a compact one has no header', () => {
    const { unmount } = show({ mine: true });
    expect(screen.getByText('You')).toBeInTheDocument();
    expect(screen.queryByText('Li Lei')).not.toBeInTheDocument();
    unmount();
    show({ compact: true });
    expect(screen.queryByText('Li Lei')).not.toBeInTheDocument();
    expect(screen.getByText('Is SO-1001 shipped?')).toBeInTheDocument();
  });

  it('shows the quoted message as a blockquote, with its author', () => {
    show({
      quoted: {
        sender: 'Wang Fang',
        msg: message(3, { from: 'u_wang', body: { text: 'Please check the order', mentions: [], attachments: [] } }),
      },
    });
    const quote = screen.getByRole('blockquote');
    expect(quote).toHaveTextContent('Wang Fang');
    expect(quote).toHaveTextContent('Please check the order');
    // The message's own text is not part of the quote.
    expect(quote).not.toHaveTextContent('Is SO-1001 shipped?');
  });

  it('says so when the quoted message is not loaded or was recalled', () => {
    const { unmount } = show({ quoted: null });
    expect(screen.getByRole('blockquote')).toHaveTextContent('Quoted message not loaded');
    unmount();
    show({
      quoted: {
        sender: 'Wang Fang',
        msg: message(3, { recalled: true, body: { text: 'secret', mentions: [], attachments: [] } }),
      },
    });
    expect(screen.getByRole('blockquote')).toHaveTextContent('Message recalled');
    expect(screen.getByRole('blockquote')).not.toHaveTextContent('secret');
  });

  it('shows a recalled message as recalled, without its text or any action', () => {
    show({
      msg: message(7, { recalled: true }),
      canRecall: true,
      onrecall: vi.fn(),
      onquote: vi.fn(),
      receipt: { kind: 'direct', read: true },
    });
    expect(screen.getByText('This message was recalled.')).toBeInTheDocument();
    expect(screen.queryByText('message 7')).not.toBeInTheDocument();
    expect(screen.queryByRole('button')).not.toBeInTheDocument();
    expect(screen.queryByText('Read')).not.toBeInTheDocument();
  });

  it('offers Recall only when the message may be recalled, and Reply calls onquote', async () => {
    const user = userEvent.setup();
    const onquote = vi.fn();
    const onrecall = vi.fn();
    const { unmount } = show({ onquote, onrecall });
    expect(screen.queryByRole('button', { name: 'Recall' })).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Reply to Li Lei' }));
    expect(onquote).toHaveBeenCalledOnce();
    expect(onrecall).not.toHaveBeenCalled();
    unmount();

    show({ onquote, onrecall, canRecall: true, mine: true });
    await user.click(screen.getByRole('button', { name: 'Recall' }));
    expect(onrecall).toHaveBeenCalledOnce();
    expect(onquote).toHaveBeenCalledOnce();
  });

  it('shows a system message as a note', () => {
    show({
      msg: message(9, {
        kind: 'system',
        from: 'system',
        body: { text: 'Wang Fang joined', mentions: [], attachments: [] },
      }),
    });
    expect(screen.getByRole('note')).toHaveTextContent('Wang Fang joined');
    expect(screen.queryByRole('article')).not.toBeInTheDocument();
  });

  it('lists the attachments', () => {
    const file = {
      name: 'deck.pdf',
      size: 2048,
      type: 'application/pdf',
      sha256: 'a'.repeat(64),
      url: '/files/deck.pdf',
    };
    show({ msg: message(7, { body: { text: 'The deck', mentions: [], attachments: [file] } }) });
    expect(screen.getByText('deck.pdf')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /deck\.pdf/ })).toHaveAttribute('href', '/files/deck.pdf');
  });
});

describe('MessageItem read state', () => {
  afterEach(() => switchLocale('en'));

  it('shows whether the peer of a direct chat read it', () => {
    const { unmount } = show({ mine: true, receipt: { kind: 'direct', read: false } });
    expect(screen.getByText('Unread')).toBeInTheDocument();
    expect(screen.queryByText('Read')).not.toBeInTheDocument();
    unmount();
    show({ mine: true, receipt: { kind: 'direct', read: true } });
    expect(screen.getByText('Read')).toBeInTheDocument();
    expect(screen.queryByText('Unread')).not.toBeInTheDocument();
  });

  it('shows how many of a group read it, and who when asked', async () => {
    const user = userEvent.setup();
    let answer: (ids: string[]) => void = () => {};
    const loadReaders = vi.fn(() => new Promise<string[] | undefined>((resolve) => (answer = resolve)));
    show({ mine: true, receipt: { kind: 'group', count: 3 }, loadReaders });
    const button = screen.getByRole('button', { name: 'Read by 3' });
    expect(button).toHaveAttribute('aria-expanded', 'false');
    expect(loadReaders).not.toHaveBeenCalled();

    await user.click(button);
    expect(loadReaders).toHaveBeenCalledOnce();
    expect(button).toHaveAttribute('aria-expanded', 'true');
    const list = screen.getByRole('list', { name: 'Readers' });
    expect(list).toHaveTextContent('Loading…');

    answer(['u_wang', 'a_sales']);
    // The names from nameOf, and the count as the list says it now.
    expect(await within(list).findByText('Wang Fang')).toBeInTheDocument();
    expect(within(list).getByText('Sales assistant')).toBeInTheDocument();
    expect(within(list).getAllByRole('listitem')).toHaveLength(2);
    expect(button).toHaveTextContent('Read by 2');

    await user.click(button);
    expect(screen.queryByRole('list', { name: 'Readers' })).not.toBeInTheDocument();
  });

  it('says nobody read it yet, and "Readers" while no count is known', async () => {
    const user = userEvent.setup();
    show({ mine: true, receipt: { kind: 'group', count: undefined }, loadReaders: async () => [] });
    await user.click(screen.getByRole('button', { name: 'Readers' }));
    expect(await screen.findByText('Nobody yet')).toBeInTheDocument();
  });

  it('closes the readers again when they could not be loaded', async () => {
    // chat.readers answers undefined when the request failed (the session shows the error).
    const user = userEvent.setup();
    const loadReaders = vi.fn(async (): Promise<string[] | undefined> => undefined);
    show({ mine: true, receipt: { kind: 'group', count: 3 }, loadReaders });
    const button = screen.getByRole('button', { name: 'Read by 3' });
    await user.click(button);
    expect(loadReaders).toHaveBeenCalledOnce();
    await waitFor(() => expect(button).toHaveAttribute('aria-expanded', 'false'));
    expect(screen.queryByText('Loading…')).not.toBeInTheDocument();
    // A second try loads them.
    loadReaders.mockResolvedValue(['u_wang']);
    await user.click(button);
    expect(await screen.findByText('Wang Fang')).toBeInTheDocument();
    expect(button).toHaveTextContent('Read by 1');
  });

  it('is said in Chinese once the user switches, without a reload', () => {
    show({ mine: true, receipt: { kind: 'group', count: 3 }, loadReaders: async () => [] });
    expect(screen.getByRole('button', { name: 'Read by 3' })).toBeInTheDocument();
    switchLocale('zh');
    flushSync();
    expect(screen.getByRole('button', { name: '3 人已读' })).toBeInTheDocument();
  });
});
