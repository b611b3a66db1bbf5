import { EventEmitter } from 'eventemitter3';
import { ulid } from 'ulid';
import {
  ROOT, parseConversationId, topics,
  type CapabilityState, type ConversationSummary, type Event, type Message, type NotifyEvent, type OrgTreeState, type Presence, type ProfileState,
} from '../schemas/index.js';
import { CatchUp, type CatchUpOptions, type MessageSource } from './catchup.js';
import { Connection, ownTopics, type ConnectionOptions, type ConnectionState } from './connection.js';
import { decode } from './events.js';
import type { MchatError } from './errors.js';
import { Requests, type KnownOp, type OpInput, type RequestOptions, type RequestsOptions, type ResultOf } from './requests.js';

/** Everything on an inbox or group topic except messages, which come deduplicated as `message`. */
export type NoticeEvent = Exclude<Event, { type: 'message' }>;

export interface ClientEvents {
  state: [state: ConnectionState];
  /** Connected and subscribed; the catch-up of what was missed is under way. */
  online: [info: { sessionPresent: boolean }];
  /** The catch-up after a connect is over: every message missed while away has been delivered (or the failure was reported as `error`). */
  synced: [];
  /** Each message of the employee's conversations once, in seq order per conversation. */
  message: [msg: Message, source: MessageSource];
  /** Receipts, recalls, tasks, workflow states, hand-offs and notices addressed to the employee. */
  inbox: [event: NoticeEvent];
  group: [groupId: string, event: NoticeEvent];
  presence: [employeeId: string, presence: Presence];
  profile: [profile: ProfileState];
  orgTree: [tree: OrgTreeState];
  capability: [capability: CapabilityState];
  /** Organisation-wide notices (`mchat/system/notify`). */
  notify: [event: NotifyEvent];
  /** A refused token or subscription, or a catch-up that failed (it is tried again after the next connect). */
  error: [error: MchatError];
}

export interface MchatClientOptions extends Omit<ConnectionOptions, 'subscribe'>, RequestsOptions, CatchUpOptions {
  /** Also receive: `presence` (`mchat/status/+`), `orgTree`, `capabilities`, `profiles`, `system` notices. */
  watch?: { presence?: boolean; orgTree?: boolean; capabilities?: boolean; profiles?: boolean; system?: boolean };
  /** Subscribe to the employee's groups by itself: those `conv.list` names, and any it joins (default true). */
  followGroups?: boolean;
}

/**
 * An employee's client of MChat, in a browser or in Node: one connection, typed requests, typed
 * events, and catch-up after every reconnect.
 */
export class MchatClient extends EventEmitter<ClientEvents> {
  readonly connection: Connection;
  readonly requests: Requests;
  readonly catchUp: CatchUp;
  readonly #followGroups: boolean;
  readonly #groups = new Set<string>();

  constructor(opts: MchatClientOptions) {
    super();
    const clientId = `${opts.employeeId}:${opts.device}`;
    this.connection = new Connection({ ...opts, subscribe: [...ownTopics(opts.employeeId, clientId), ...watched(opts.watch)] });
    this.requests = new Requests(this.connection, opts);
    this.#followGroups = opts.followGroups ?? true;
    this.catchUp = new CatchUp(this.requests, {
      deliver: (messages, source) => {
        for (const msg of messages) {
          this.#noticeGroup(msg.conversation_id);
          this.emit('message', msg, source);
        }
      },
      seeded: (conversations) => this.#follow(conversations),
      failed: (error) => this.emit('error', error),
    }, opts);

    this.connection.on('state', (state) => this.emit('state', state));
    this.connection.on('error', (error) => this.emit('error', error));
    this.connection.on('online', (info) => {
      this.emit('online', info);
      void this.catchUp.afterConnect().then(() => {
        if (this.connection.state === 'online') this.emit('synced');
      });
    });
    this.connection.on('message', (topic, payload) => this.#route(topic, payload));
  }

  get clientId(): string {
    return this.connection.clientId;
  }

  get state(): ConnectionState {
    return this.connection.state;
  }

  /** See `Requests.request`: typed by the schemas, retried when safe, rejects with an `MchatError`. */
  request<O extends KnownOp>(op: O, payload: OpInput<O>, opts?: RequestOptions): Promise<ResultOf<O>> {
    return this.requests.request(op, payload, opts);
  }

  /**
   * Sends a message until the gateway has stored it. Every try carries the same `client_msg_id`
   * (give one to keep it across calls, e.g. a send retried after a reload), so it is stored once.
   */
  send(
    to: OpInput<'msg.send'>['to'],
    body: OpInput<'msg.send'>['body'],
    opts: RequestOptions & { clientMsgId?: string } = {},
  ): Promise<ResultOf<'msg.send'>> {
    const { clientMsgId = ulid(), ...rest } = opts;
    return this.requests.request('msg.send', { to, client_msg_id: clientMsgId, body }, rest);
  }

  /** Receives these groups' events too, now and after every reconnect; resolves with a refusal, if any. */
  async watchGroups(groupIds: Iterable<string>): Promise<MchatError | undefined> {
    const fresh = [...groupIds].filter((id) => !this.#groups.has(id));
    fresh.forEach((id) => this.#groups.add(id));
    return this.connection.watch(fresh.map((id) => topics.group(id)));
  }

  async unwatchGroups(groupIds: Iterable<string>): Promise<void> {
    const known = [...groupIds].filter((id) => this.#groups.delete(id));
    await this.connection.unwatch(known.map((id) => topics.group(id)));
  }

  async close(): Promise<void> {
    this.catchUp.stop();
    this.requests.abandon();
    await this.connection.close();
  }

  #route(topic: string, payload: Uint8Array): void {
    const incoming = decode(topic, payload);
    switch (incoming?.kind) {
      case 'inbox':
      case 'group': {
        const { event } = incoming;
        if (event.type === 'message') return this.catchUp.receive(event.msg);
        if (event.type === 'notify') this.#followNotice(event);
        if (incoming.kind === 'inbox') this.emit('inbox', event);
        else this.emit('group', incoming.groupId, event);
        return;
      }
      case 'presence': return void this.emit('presence', incoming.employeeId, incoming.presence);
      case 'profile': return void this.emit('profile', incoming.profile);
      case 'orgTree': return void this.emit('orgTree', incoming.tree);
      case 'capability': return void this.emit('capability', incoming.capability);
      case 'notify': return void this.emit('notify', incoming.event);
      case undefined: return;
    }
  }

  #follow(conversations: readonly ConversationSummary[]): void {
    if (!this.#followGroups) return;
    void this.watchGroups(conversations.flatMap((c) => (c.group_id ? [c.group_id] : [])));
  }

  /** A message of a group we do not receive yet (found by a catch-up): we were added while away. */
  #noticeGroup(conversationId: string): void {
    const ref = parseConversationId(conversationId);
    if (this.#followGroups && ref?.kind === 'group' && !this.#groups.has(ref.groupId)) void this.watchGroups([ref.groupId]);
  }

  #followNotice(event: NotifyEvent): void {
    const groupId = (event.data as { group_id?: unknown } | undefined)?.group_id;
    if (!this.#followGroups || typeof groupId !== 'string') return;
    if (event.kind === 'group_joined') void this.watchGroups([groupId]);
    if (event.kind === 'group_left') void this.unwatchGroups([groupId]);
  }
}

function watched(watch: MchatClientOptions['watch'] = {}): string[] {
  return [
    ...(watch.presence ? [`${ROOT}/status/+`] : []),
    ...(watch.orgTree ? [topics.orgTree()] : []),
    ...(watch.capabilities ? [`${ROOT}/agent/capability/+`] : []),
    ...(watch.profiles ? [`${ROOT}/profile/+`] : []),
    ...(watch.system ? [topics.systemNotify()] : []),
  ];
}
