import { createContext } from 'svelte';
import type { PublicProfile } from '$schemas';
import { Approvals } from './approvals.svelte';
import { Capabilities } from './capabilities.svelte';
import { Chat } from './chat.svelte';
import { Directory } from './directory.svelte';
import { Handoffs } from './handoffs.svelte';
import { Notifier } from './notifier.svelte';
import { Org } from './org.svelte';
import { Session } from './session.svelte';
import { Workflows } from './workflows.svelte';

/** Everything the signed-in pages share, over one connection. */
export class AppState {
  readonly session: Session;
  readonly directory: Directory;
  readonly chat: Chat;
  readonly workflows: Workflows;
  readonly approvals: Approvals;
  readonly handoffs: Handoffs;
  readonly capabilities: Capabilities;
  readonly notifier: Notifier;
  readonly org: Org;

  constructor(me: PublicProfile) {
    this.session = new Session(me);
    this.directory = new Directory(this.session);
    this.handoffs = new Handoffs(this.session);
    this.chat = new Chat(this.session, this.directory, this.handoffs);
    this.workflows = new Workflows(this.session);
    this.approvals = new Approvals(this.session);
    this.capabilities = new Capabilities(this.session);
    this.notifier = new Notifier(me.id, (id) => this.directory.nameOf(id), (id) => void this.chat.select(id));
    this.org = new Org();
    this.session.listen(this.chat, this.workflows, this.approvals, this.handoffs, this.capabilities, this.notifier, this.org);
  }
}

export const [getApp, setApp] = createContext<AppState>();
