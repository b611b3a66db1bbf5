import type { PublicProfile } from '$schemas';

declare global {
  namespace App {
    interface Locals {
      /** The signed-in employee, resolved from the session cookie by hooks.server.ts. */
      session: { token: string; employee: PublicProfile } | null;
    }
    interface PageState {
      /** The view of the chat page a narrow screen shows, when deeper than the conversation list. */
      chatView?: 'chat' | 'panel';
    }
  }
}

export {};
