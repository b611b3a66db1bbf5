import type { PublicProfile } from '$schemas';
import type { Session } from './session.svelte';

/** The colleagues the app has met so far, so ids can be shown as names. */
export class Directory {
  profiles = $state<Record<string, PublicProfile>>({});

  readonly #session: Session;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, not state: nothing renders it
  readonly #asked = new Set<string>();

  constructor(session: Session) {
    this.#session = session;
    this.remember(session.me);
  }

  remember(profile: PublicProfile): void {
    this.profiles[profile.id] = profile;
  }

  nameOf(id: string): string {
    return this.profiles[id]?.name ?? id;
  }

  isAgent(id: string): boolean {
    return this.profiles[id]?.is_ai_agent ?? false;
  }

  /** Fetches the profiles of ids we cannot name yet, once each. */
  learn(ids: Iterable<string>): void {
    for (const id of ids) {
      if (this.profiles[id] || this.#asked.has(id)) continue;
      this.#asked.add(id);
      void this.#session.request('employee.get', { id }).then(
        ({ employee }) => this.remember(employee),
        () => {}, // an unknown id keeps showing as itself
      );
    }
  }
}
