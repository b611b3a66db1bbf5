import type { OrgTreeState } from '$schemas';
import { flatten } from './org-tree';
import type { SessionListener } from './session.svelte';

export type { OrgMember } from './org-tree';

/**
 * The organisation as the gateway announces it (retained `mchat/org/tree`): it arrives when the
 * connection comes up and again after every change, so the chart is live without asking.
 */
export class Org implements SessionListener {
  tree = $state<OrgTreeState | null>(null);

  readonly departments = $derived(this.tree ? flatten(this.tree.departments) : []);
  /** Everyone in the chart, by id: rebuilt with each tree, never changed in place. */
  readonly members = $derived(
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- derived afresh from each tree, nothing mutates it
    new Map([...this.departments.flatMap((d) => d.department.members), ...(this.tree?.unassigned ?? [])].map((m) => [m.id, m])),
  );

  event(): void {}

  orgTreeChanged(tree: OrgTreeState): void {
    this.tree = tree;
  }
}
