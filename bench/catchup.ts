import { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { directConversationId, topics, type Message } from '../schemas/index.js';
import type { StoredMessage } from '../store/db.js';
import { blockOf } from '../store/pages.js';
import { SeqCounters } from '../store/seqs.js';
import { startRawBroker } from './broker.js';
import { closePeers, connectPeer, employeeSpecs, messageEvent, now, until } from './clients.js';
import type { BenchResult, Row } from './report.js';
import type { BenchStack } from './stack.js';
import { fmtMs, summarize } from './stats.js';

export interface CatchupOptions {
  messages: number;
  /** msg.sync page size (the protocol's maximum is 1000). */
  limit: number;
}

export const CATCHUP_FULL: CatchupOptions = { messages: 10_000, limit: 1000 };
export const CATCHUP_QUICK: CatchupOptions = { messages: 2_000, limit: 1000 };

const SENDER = 'cu_sender';
const READER = 'cu_reader';

/**
 * The messages written straight into the store, as the gateway would have written them: one
 * conversation, seq 1..n without gaps, the conversation document listing both members, and its
 * seq counter at n.
 */
async function fillStore(stack: BenchStack, n: number): Promise<string> {
  const conversation_id = directConversationId(SENDER, READER);
  const ts0 = Date.now() - n;
  for (let from = 0; from < n; from += 1000) {
    const docs: StoredMessage[] = [];
    for (let seq = from + 1; seq <= Math.min(n, from + 1000); seq++) {
      docs.push({
        msg_id: ulid(), conversation_id, seq, block: blockOf(seq), from: SENDER, ts: ts0 + seq, kind: 'text',
        body: { text: `catch-up ${seq}`, mentions: [], attachments: [] }, client_msg_id: `cu-${seq}`,
      });
    }
    await stack.m.Message.insertMany(docs, { ordered: false });
  }
  await stack.m.Conversation.create({ conversation_id, members: [SENDER, READER].sort() });
  const redis = new Redis(stack.redisUrl);
  try {
    await new SeqCounters(redis, stack.redisPrefix, () => Promise.resolve(n)).raise(conversation_id, n);
  } finally {
    await redis.quit();
  }
  return conversation_id;
}

export async function runCatchup(stack: BenchStack, opts: CatchupOptions): Promise<BenchResult> {
  const notes: string[] = [];

  // Baseline: a persistent session (clean: false) on raw aedes that missed n QoS 1 messages.
  const broker = await startRawBroker(stack.logDir);
  let rawMs: number;
  let rawInOrder = true;
  let rawGot = 0;
  try {
    const [readerSpec] = await employeeSpecs([READER]);
    const [senderSpec] = await employeeSpecs([SENDER]);
    const persistent = { ...readerSpec!, clean: false };
    await (await connectPeer(broker.url, persistent)).close();
    const sender = await connectPeer(broker.url, senderSpec!);
    const conversation = directConversationId(SENDER, READER);
    for (let seq = 1; seq <= opts.messages; seq += 100) {
      await Promise.all(Array.from({ length: Math.min(100, opts.messages - seq + 1) }, (_, k) =>
        sender.publish(topics.inbox(READER), messageEvent(conversation, SENDER, seq + k, `cu-${seq + k}`))));
    }
    await sender.close();
    let expect = 1;
    const t0 = now();
    const reader = await connectPeer(broker.url, { ...persistent, subscribe: [] }, (_topic, payload) => {
      const seq = (JSON.parse(payload.toString('utf8')) as { msg: { seq: number } }).msg.seq;
      if (seq !== expect) rawInOrder = false;
      expect = seq + 1;
      rawGot++;
    });
    await until(() => rawGot >= opts.messages, 60_000);
    rawMs = now() - t0;
    await closePeers([reader]);
  } finally {
    await broker.stop();
  }

  // The gateway: the reader comes back and pages through msg.sync until has_more is false.
  await stack.populate([SENDER, READER]);
  const conversation = await fillStore(stack, opts.messages);
  const [spec] = await employeeSpecs([READER], { token: stack.token });
  const t0 = now();
  const reader = await connectPeer(stack.mqttUrl, spec!);
  const connectedMs = now() - t0;
  let last = 0;
  let got = 0;
  let inOrder = true;
  const pages: number[] = [];
  for (;;) {
    const p0 = now();
    const res = await reader.request('msg.sync', { cursors: { [conversation]: last }, limit: opts.limit });
    pages.push(now() - p0);
    if (!res.ok) throw new Error(`msg.sync: ${res.error.code} ${res.error.message}`);
    const { messages, has_more } = res.result as { messages: Message[]; has_more: boolean };
    for (const msg of messages) {
      if (msg.conversation_id !== conversation || msg.seq !== last + 1) inOrder = false;
      last = msg.seq;
      got++;
    }
    if (!has_more || messages.length === 0) break;
  }
  const gatewayMs = now() - t0;
  await closePeers([reader]);

  const page = summarize(pages);
  notes.push(`catch-up, gateway: connect ${fmtMs(connectedMs)}, then ${pages.length} msg.sync pages of ≤ ${opts.limit}, each p50 ${fmtMs(page.p50)} / max ${fmtMs(page.max)}`);
  const rows: Row[] = [{
    bench: `4. catch-up after ${opts.messages.toLocaleString('en-US')} missed messages`,
    metric: 'reconnect → all in order',
    gateway: `${fmtMs(gatewayMs)} (${got}, ${inOrder ? 'in order' : 'OUT OF ORDER'})`,
    raw: `${fmtMs(rawMs)} (${rawGot}, ${rawInOrder ? 'in order' : 'OUT OF ORDER'})`,
    note: `gateway: msg.sync paging (limit ${opts.limit}), messages written straight to the store; raw: persistent session, queued QoS 1`,
  }];
  return { rows, notes };
}
