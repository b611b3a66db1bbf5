import type { z } from 'zod';
import * as m from '$lib/paraglide/messages';

/** Fields holding ids: whatever their schema says about them, the reader is told what an id may hold. */
const ID_FIELD = /(^|\.)(id|manager_id|department_id|auto_join_groups(\.\d+)?)$/;

/**
 * What is wrong with one field, in the reader's language. The schemas are the gateway's own
 * (schemas/admin.ts), whose messages are English and written for developers; the reader gets
 * one from the kind of problem and its bounds instead. Issues carry their input (parse with
 * `reportInput`), so an empty field is "required" whatever rule it broke.
 */
export function issueText(issue: z.core.$ZodIssue): string {
  const field = issue.path.join('.');
  const empty = issue.input === '' || issue.input === undefined || (Array.isArray(issue.input) && issue.input.length === 0);
  if (empty && issue.code !== 'too_big' && issue.code !== 'custom') return issue.code === 'too_small' && issue.origin === 'array' ? m.form_too_few({ min: Number(issue.minimum) }) : m.form_required();
  if (field.endsWith('response_timeout')) return m.form_timeout();
  if (ID_FIELD.test(field)) return m.form_id();
  switch (issue.code) {
    case 'too_small': {
      const min = Number(issue.minimum);
      if (issue.origin === 'string') return m.form_too_short({ min });
      if (issue.origin === 'array') return m.form_too_few({ min });
      return m.form_number_min({ min });
    }
    case 'too_big': {
      const max = Number(issue.maximum);
      if (issue.origin === 'string') return m.form_too_long({ max });
      if (issue.origin === 'array') return m.form_too_many({ max });
      return m.form_number_max({ max });
    }
    case 'invalid_format':
      return issue.format === 'url' ? m.form_url() : m.form_invalid();
    case 'invalid_type':
      return issue.expected === 'number' ? m.form_number() : m.form_invalid();
    case 'custom':
      if (field.endsWith('capabilities')) return m.form_capability_twice();
      return field === '' ? m.form_nothing_changed() : m.form_invalid();
    default:
      return m.form_invalid();
  }
}

/** The first problem of each field, by its path in the payload (`agent_profile.webhook_endpoint`). */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = issue.path.join('.');
    errors[field] ??= issueText(issue);
  }
  return errors;
}

/** The problem of `field` or of anything inside it (a keyword of a list, a field of a card). */
export function errorAt(errors: Record<string, string>, field: string): string | undefined {
  if (errors[field]) return errors[field];
  const inside = Object.keys(errors).find((k) => k.startsWith(`${field}.`));
  return inside === undefined ? undefined : errors[inside];
}
