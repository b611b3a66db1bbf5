import { createContext } from 'svelte';
import type { PublicProfile } from '$schemas';
import { Approvals } from './approvals.svelte';
import { Chat } from './chat.svelte';
import { Directory } from './directory.svelte';
import { Handoffs } from './handoffs.svelte';
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

  constructor(me: PublicProfile) {
    this.session = new Session(me);
    this.directory = new Directory(this.session);
    this.handoffs = new Handoffs(this.session);
    this.chat = new Chat(this.session, this.directory, this.handoffs);
    this.workflows = new Workflows(this.session);
    this.approvals = new Approvals(this.session);
    this.session.listen(this.chat, this.workflows, this.approvals, this.handoffs);
  }
}

export const [getApp, setApp] = createContext<AppState>();
