import * as m from '$lib/paraglide/messages';

/**
 * The admin console's screens, in the order its navigation lists them. The organisation chart,
 * agents, groups, import, schedules and the cockpit join this list as they are built, each a
 * route under /admin.
 */
export const ADMIN_SECTIONS: readonly { href: string; label: () => string }[] = [
  { href: '/admin/directory', label: m.admin_nav_directory },
  { href: '/admin/audit', label: m.admin_nav_audit },
];
