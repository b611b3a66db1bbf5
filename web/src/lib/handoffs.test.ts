import { describe, expect, it } from 'vitest';
import type { ConversationSummary } from '../../../schemas/index.js';
import { handoff } from './fixtures.js';
import { activeHandoff, applyHandoff, listedHandoffs, mayRelease, mayRequestHandoff } from './handoffs.js';

const CONV = 'd:a_sales:u_li';

describe('applyHandoff and activeHandoff', () => {
  it('shows a conversation as handed off until it is released', () => {
    const book = applyHandoff({}, handoff());
    expect(activeHandoff(book, CONV)?.human_id).toBe('u_wang');
    const released = applyHandoff(book, handoff({ state: 'released', released_at: 2, released_by: 'u_li' }));
    expect(activeHandoff(released, CONV)).toBeUndefined();
    expect(activeHandoff(released, 'd:u_li:u_zhang')).toBeUndefined();
  });

  it('a late release of an older hand-off does not end a newer one', () => {
    const newer = applyHandoff({}, handoff({ workflow_id: 'handoff:2', since: 10 }));
    const book = applyHandoff(newer, handoff({ workflow_id: 'handoff:1', since: 1, state: 'released' }));
    expect(activeHandoff(book, CONV)?.workflow_id).toBe('handoff:2');
  });
});

describe('listedHandoffs', () => {
  it('keeps the listed active hand-offs and forgets the rest', () => {
    const row = (conversation_id: string, extra: Partial<ConversationSummary> = {}): ConversationSummary =>
      ({ conversation_id, kind: 'direct', title: 'x', last_seq: 1, ...extra });
    const book = listedHandoffs([row(CONV, { handoff: handoff() }), row('d:u_li:u_zhang')]);
    expect(Object.keys(book)).toEqual([CONV]);
    expect(activeHandoff(book, CONV)?.human_id).toBe('u_wang');
    expect(listedHandoffs([row(CONV)])).toEqual({});
  });
});

describe('mayRelease', () => {
  it('lets the human and the asker release, nobody else', () => {
    expect(mayRelease(handoff(), 'u_wang')).toBe(true);
    expect(mayRelease(handoff(), 'u_li')).toBe(true);
    expect(mayRelease(handoff(), 'u_zhang')).toBe(false);
  });
});

describe('mayRequestHandoff', () => {
  const chat = (peer_id: string | undefined): ConversationSummary => ({
    conversation_id: CONV,
    kind: peer_id ? 'direct' : 'group',
    title: 'Sales Assistant',
    last_seq: 0,
    ...(peer_id ? { peer_id } : { group_id: 'ops' }),
  });
  const isAgent = (id: string) => id.startsWith('a_');

  it('offers a human in a direct chat with an agent that is not handed off yet', () => {
    expect(mayRequestHandoff(chat('a_sales'), isAgent, {})).toBe(true);
    expect(mayRequestHandoff(chat('a_sales'), isAgent, applyHandoff({}, handoff()))).toBe(false);
  });

  it('not with a person, in a group, or with nothing open', () => {
    expect(mayRequestHandoff(chat('u_zhang'), isAgent, {})).toBe(false);
    expect(mayRequestHandoff(chat(undefined), isAgent, {})).toBe(false);
    expect(mayRequestHandoff(undefined, isAgent, {})).toBe(false);
  });
});
