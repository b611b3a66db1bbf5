import * as m from '$lib/paraglide/messages';

/**
 * The admin console's screens, in the order its navigation lists them. Agents, groups, import and
 * schedules join this list as they are built, each a route under /admin; the organisation chart
 * is /org, for everyone, with an admin's controls in place.
 */
export const ADMIN_SECTIONS: readonly { href: string; label: () => string }[] = [
  { href: '/admin/directory', label: m.admin_nav_directory },
  { href: '/admin/audit', label: m.admin_nav_audit },
  { href: '/admin/cockpit', label: m.cockpit_title },
];
