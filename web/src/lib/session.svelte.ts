import type { Event, PublicProfile } from '$schemas';
import { MchatClient, MchatError, type ConnectionState } from './mchat-client';
import { errorText } from './i18n/errors';

/** A part of the app's state that the live connection keeps up to date. */
export interface SessionListener {
  /** Called on every (re)connection: each starts a clean session, so what was published meanwhile must be fetched. */
  online?(): Promise<void>;
  event(event: Event): void;
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
    this.#client = new MchatClient({
      url,
      employeeId: this.me.id,
      token,
      onEvent: (event) => this.#listeners.forEach((l) => l.event(event)),
      onState: (state) => {
        this.connection = state;
        if (state !== 'online') return;
        for (const l of this.#listeners) if (l.online) void this.attempt(() => l.online!());
      },
    });
  }

  async close(): Promise<void> {
    await this.#client?.close();
  }

  request: MchatClient['request'] = (op, payload) => (this.#client ? this.#client.request(op, payload) : Promise.reject(notConnected()));

  sendMessage: MchatClient['sendMessage'] = (to, body, opts) =>
    this.#client ? this.#client.sendMessage(to, body, opts) : Promise.reject(notConnected());

  watchGroups: MchatClient['watchGroups'] = (groupIds) => (this.#client ? this.#client.watchGroups(groupIds) : Promise.reject(notConnected()));

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
