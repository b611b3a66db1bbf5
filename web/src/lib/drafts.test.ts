import { describe, expect, it } from 'vitest';
import { Drafts } from './drafts';

/** Storage's behaviour, in memory: the unit under test is Drafts, not the browser. */
class MemoryStorage implements Storage {
  #items = new Map<string, string>();
  get length() {
    return this.#items.size;
  }
  clear() {
    this.#items.clear();
  }
  getItem(k: string) {
    return this.#items.get(k) ?? null;
  }
  key(i: number) {
    return [...this.#items.keys()][i] ?? null;
  }
  removeItem(k: string) {
    this.#items.delete(k);
  }
  setItem(k: string, v: string) {
    this.#items.set(k, v);
  }
}

describe('Drafts', () => {
  it('keeps a draft per conversation and forgets an empty one', () => {
    const store = new MemoryStorage();
    const drafts = new Drafts(store);
    drafts.keepDraft('d:a:b', '你好');
    expect(drafts.draft('d:a:b')).toBe('你好');
    expect(drafts.draft('g:x')).toBe('');
    drafts.keepDraft('d:a:b', '');
    expect(store.length).toBe(0);
  });
  it('keeps the outbox in order and drops a damaged one', () => {
    const store = new MemoryStorage();
    const drafts = new Drafts(store);
    drafts.keepQueue('g:x', [{ text: 'one', mentions: [] }, { text: 'two', mentions: ['a_sales'] }]);
    expect(new Drafts(store).queued('g:x').map((q) => q.text)).toEqual(['one', 'two']);
    store.setItem('mchat.outbox.g:x', '{not json');
    expect(drafts.queued('g:x')).toEqual([]);
  });
  it('keeps uploaded files with a queued message and drops an entry whose files are not attachments', () => {
    const store = new MemoryStorage();
    const file = { name: 'a.png', size: 3, type: 'image/png', sha256: 'a'.repeat(64), object_id: '01JABCDEFGHJKMNPQRSTVWXYZ0' };
    new Drafts(store).keepQueue('g:x', [{ text: '', mentions: [], attachments: [file] }]);
    expect(new Drafts(store).queued('g:x')).toEqual([{ text: '', mentions: [], attachments: [file] }]);
    store.setItem('mchat.outbox.g:x', JSON.stringify([{ text: 'x', mentions: [], attachments: [{ name: 'no hash' }] }, { text: 'kept', mentions: [] }]));
    expect(new Drafts(store).queued('g:x').map((q) => q.text)).toEqual(['kept']);
  });
});
