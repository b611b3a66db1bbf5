import type { Event } from '$schemas';
import * as m from '$lib/paraglide/messages';
import { alertFor, Mutes } from './notify';
import type { SessionListener } from './session.svelte';

/** Browser notifications of new messages and approval tasks while the tab is hidden. */
export class Notifier implements SessionListener {
  /** The browser's answer so far; asked for only from a visible control, never on load. */
  permission = $state<NotificationPermission | 'unsupported'>(typeof Notification === 'undefined' ? 'unsupported' : Notification.permission);
  /** Bumped on every change, so a muted state shown re-reads the storage. */
  #version = $state(0);

  readonly #me: string;
  readonly #nameOf: (id: string) => string;
  readonly #open: (conversationId: string) => void;
  // The page is also rendered on the server, where there is no storage: mutes are read in the browser only.
  readonly #mutes = typeof localStorage === 'undefined' ? undefined : new Mutes(localStorage);

  constructor(me: string, nameOf: (id: string) => string, open: (conversationId: string) => void) {
    this.#me = me;
    this.#nameOf = nameOf;
    this.#open = open;
  }

  async ask(): Promise<void> {
    if (this.permission === 'unsupported') return;
    this.permission = await Notification.requestPermission();
  }

  muted(conversationId: string): boolean {
    void this.#version;
    return this.#mutes?.has(conversationId) ?? false;
  }

  setMuted(conversationId: string, muted: boolean): void {
    this.#mutes?.set(conversationId, muted);
    this.#version++;
  }

  event(event: Event): void {
    if (this.permission !== 'granted' || !document.hidden) return;
    const alert = alertFor(event, this.#me, (id) => this.muted(id), this.#nameOf);
    if (!alert) return;
    const title = event.type === 'task' ? m.notify_task_title({ name: alert.from }) : alert.from;
    const shown = new Notification(title, { body: alert.body, tag: alert.tag });
    shown.onclick = () => {
      window.focus();
      this.#open(alert.conversationId);
      shown.close();
    };
  }
}
