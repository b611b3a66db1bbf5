import type { Event, OrgTreeState, Presence, PublicProfile } from '$schemas';
import { MchatClient, MchatError, type ConnectionState } from '$sdk';
import { tabDevice } from './device';
import { errorText } from './i18n/errors';

/** A part of the app's state that the live connection keeps up to date. */
export interface SessionListener {
  /**
   * Called after every (re)connection, once the SDK has delivered what was missed: a chance to
   * re-read what is not carried by messages (unread counts, tasks, workflows).
   */
  online?(): Promise<void>;
  event(event: Event): void;
  /** A colleague's presence (`mchat/status/{id}`) changed, or was first heard of. */
  presenceChanged?(employeeId: string, presence: Presence): void;
  /** The organisation (retained `mchat/org/tree`), at connection and after every change. */
  orgTreeChanged?(tree: OrgTreeState): void;
}

/**
 * The signed-in employee's one connection to MChat, shared by every page of the app so that moving
 * between the chat and the approvals keeps the connection and what was loaded.
 */
export class Session {
  readonly me: PublicProfile;
  connection = $state<ConnectionState>('connecting');
  /** The last thing that went wrong (or a system notice), until dismissed. */
  notice = $state<string | null>(null);

  #client: MchatClient | undefined;
  readonly #listeners: SessionListener[] = [];

  constructor(me: PublicProfile) {
    this.me = me;
  }

  listen(...listeners: SessionListener[]): void {
    this.#listeners.push(...listeners);
  }

  connect(url: string, token: string): void {
    const client = new MchatClient({ url, employeeId: this.me.id, token, device: tabDevice(), watch: { presence: true, orgTree: true } });
    const tell = (event: Event) => this.#listeners.forEach((l) => l.event(event));
    client.on('state', (state) => (this.connection = state));
    // Messages come once each and in order, whether live or caught up after a reconnect.
    client.on('message', (msg) => tell({ v: 1, type: 'message', msg }));
    client.on('inbox', tell);
    client.on('group', (_groupId, event) => tell(event));
    client.on('presence', (id, presence) => this.#listeners.forEach((l) => l.presenceChanged?.(id, presence)));
    client.on('orgTree', (tree) => this.#listeners.forEach((l) => l.orgTreeChanged?.(tree)));
    client.on('synced', () => {
      for (const l of this.#listeners) if (l.online) void this.attempt(() => l.online!());
    });
    // A refused token shows as the connection's state; a refused group (one we were removed from) needs no notice.
    client.on('error', (err) => {
      if (err.code !== 'E_AUTH' && err.code !== 'E_FORBIDDEN') this.notice = errorText(err);
    });
    this.#client = client;
  }

  async close(): Promise<void> {
    await this.#client?.close();
  }

  request: MchatClient['request'] = (op, payload, opts) => (this.#client ? this.#client.request(op, payload, opts) : Promise.reject(notConnected()));

  send: MchatClient['send'] = (to, body, opts) => (this.#client ? this.#client.send(to, body, opts) : Promise.reject(notConnected()));

  /** Runs `fn`, turning a failure into the notice the user sees and `fallback`. */
  async attempt<T>(fn: () => Promise<T>, fallback?: T): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      this.notice = errorText(err);
      return fallback as T;
    }
  }
}

const notConnected = () => new MchatError({ code: 'E_UNAVAILABLE', message: 'Not connected.' });

export { errorText };
