import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Message } from '../schemas/index.js';
import { Sequencer } from './sequencer.js';

const msg = (seq: number, conversation_id = 'd:u_li:u_zhang'): Message => ({
  msg_id: `${conversation_id}#${seq}`, conversation_id, seq, from: 'u_li', ts: 1_764_000_000_000 + seq,
  kind: 'text', body: { text: `m${seq}`, mentions: [], attachments: [] }, client_msg_id: `c${seq}`,
});
const seqs = (ms: Message[]) => ms.map((m) => m.seq);

describe('Sequencer', () => {
  it('starts a conversation it meets live at that message, and lets each seq through once', () => {
    const s = new Sequencer();
    expect(seqs(s.accept(msg(7)))).toEqual([7]);
    expect(seqs(s.accept(msg(7)))).toEqual([]);
    expect(seqs(s.accept(msg(8)))).toEqual([8]);
    expect(s.cursors()).toEqual({ 'd:u_li:u_zhang': 8 });
  });

  it('holds what comes after a hole until the hole is filled, then lets it through in order', () => {
    const s = new Sequencer();
    s.seed('g:ops', 3);
    expect(seqs(s.accept(msg(5, 'g:ops')))).toEqual([]);
    expect(seqs(s.accept(msg(6, 'g:ops')))).toEqual([]);
    expect(s.gaps()).toEqual([{ conversation_id: 'g:ops', after_seq: 3, next_seq: 5 }]);
    // A catch-up resumes after the newest message we have, the hole is filled from history.
    expect(s.cursors()).toEqual({ 'g:ops': 6 });
    expect(seqs(s.accept(msg(4, 'g:ops')))).toEqual([4, 5, 6]);
    expect(s.gaps()).toEqual([]);
  });

  it('delivers nothing the seed already covers', () => {
    const s = new Sequencer();
    s.seed('g:ops', 10);
    expect(seqs(s.accept(msg(9, 'g:ops')))).toEqual([]);
    expect(seqs(s.accept(msg(10, 'g:ops')))).toEqual([]);
    expect(seqs(s.accept(msg(11, 'g:ops')))).toEqual([11]);
  });

  it('during a catch-up, holds a new conversation for the catch-up to bring from its start', () => {
    const s = new Sequencer();
    s.seed('g:ops', 2);
    s.beginSync();
    // Live, while msg.sync is on its way: a direct chat started while we were away.
    expect(seqs(s.accept(msg(3)))).toEqual([]);
    expect(s.cursors()).toEqual({ 'g:ops': 2 });
    expect(s.gaps()).toEqual([]);
    // 3, held since it came live, follows 2 out, and its copy in the page is dropped.
    expect(seqs([1, 2, 3].flatMap((n) => s.accept(msg(n), true)))).toEqual([1, 2, 3]);
    expect(seqs(s.endSync())).toEqual([]);
    expect(s.cursors()).toEqual({ 'd:u_li:u_zhang': 3, 'g:ops': 2 });
  });

  it('after a catch-up that did not bring a conversation, starts it at the first message held', () => {
    const s = new Sequencer();
    s.beginSync();
    expect(seqs(s.accept(msg(40, 'g:new')))).toEqual([]);
    expect(seqs(s.accept(msg(41, 'g:new')))).toEqual([]);
    expect(seqs(s.endSync())).toEqual([40, 41]);
  });

  it('gives up on a hole that does not fill, and still drops what comes late for it', () => {
    const s = new Sequencer();
    s.seed('g:ops', 1);
    s.accept(msg(3, 'g:ops'));
    expect(seqs(s.skipHole('g:ops'))).toEqual([3]);
    expect(seqs(s.accept(msg(2, 'g:ops')))).toEqual([]);
  });

  it('whatever order and repetition the copies come in, each seq goes out once and in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 0, max: 5 }),
        (arrivals, seedAt) => {
          const s = new Sequencer();
          s.seed('g:ops', seedAt);
          const out = arrivals.flatMap((n) => s.accept(msg(n, 'g:ops')));
          const expected = [...new Set(arrivals.filter((n) => n > seedAt))].sort((a, b) => a - b);
          // Out: a run without holes from seedAt + 1, a prefix of everything that arrived.
          expect(seqs(out)).toEqual(expected.slice(0, seqs(out).length));
          expect(seqs(out)).toEqual(seqs(out).map((_, i) => seedAt + 1 + i));
          // And a catch-up that brings everything lets the rest through.
          const rest = expected.flatMap((n) => s.accept(msg(n, 'g:ops'), true));
          expect(seqs([...out, ...rest])).toEqual(expected.filter((n, i) => n === seedAt + 1 + i));
        },
      ),
    );
  });
});
