import type { Event } from '$schemas';
import { errorText, type Session, type SessionListener } from './session.svelte';
import { applyWorkflowDoc, applyWorkflowEvent, applyWorkflowList, type RunView } from './workflows';

/** What the panel knows about one conversation's workflows. */
export interface Shelf {
  runs: RunView[];
  loading: boolean;
  /** Why the list or a run could not be read, until the next success. */
  error?: string;
}

const LIST_LIMIT = 20;

/**
 * The workflows of the conversations shown in this tab: listed when a conversation is opened, then
 * kept live from `workflow` events, each event followed by a fresh read of that run's document
 * (events carry status and step; hops, approvals and errors come with the document).
 */
export class Workflows implements SessionListener {
  #shelves = $state<Record<string, Shelf>>({});
  #shown: string | null = null;
  readonly #session: Session;

  constructor(session: Session) {
    this.#session = session;
  }

  of(conversationId: string | null): Shelf | undefined {
    return conversationId ? this.#shelves[conversationId] : undefined;
  }

  /** Loads the conversation's workflows the first time it is shown, or again after a failure. */
  async show(conversationId: string): Promise<void> {
    this.#shown = conversationId;
    const shelf = this.#shelves[conversationId];
    if (shelf && !shelf.error) return;
    await this.#load(conversationId);
  }

  async online(): Promise<void> {
    // Events were missed while away: only the shown conversation is read again, the rest when next shown.
    for (const id of Object.keys(this.#shelves)) if (id !== this.#shown) delete this.#shelves[id];
    if (this.#shown) await this.#load(this.#shown);
  }

  event(event: Event): void {
    if (event.type !== 'workflow') return;
    const shelf = this.#shelves[event.conversation_id];
    if (!shelf) return;
    shelf.runs = applyWorkflowEvent(shelf.runs, event, Date.now());
    void this.#refresh(shelf, event.workflow_id);
  }

  async #load(conversationId: string): Promise<void> {
    this.#shelves[conversationId] ??= { runs: [], loading: true };
    // Read back through the state proxy: changes to the object assigned above would go unseen.
    const shelf = this.#shelves[conversationId]!;
    shelf.loading = true;
    try {
      const { workflows } = await this.#session.request('workflow.list', { conversation_id: conversationId, limit: LIST_LIMIT });
      shelf.runs = applyWorkflowList(shelf.runs, workflows);
      delete shelf.error;
    } catch (err) {
      shelf.error = errorText(err);
    } finally {
      shelf.loading = false;
    }
  }

  async #refresh(shelf: Shelf, workflowId: string): Promise<void> {
    try {
      const { workflow } = await this.#session.request('workflow.get', { workflow_id: workflowId });
      shelf.runs = applyWorkflowDoc(shelf.runs, workflow);
    } catch (err) {
      shelf.error = errorText(err);
    }
  }
}
