import type { PublicProfile } from '$schemas';

declare global {
  namespace App {
    interface Locals {
      /** The signed-in employee, resolved from the session cookie by hooks.server.ts. */
      session: { token: string; employee: PublicProfile } | null;
    }
  }
}

export {};
