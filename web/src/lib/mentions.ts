import { isTopicId } from '../../../schemas/index.js';

// Not preceded by a word character, `@` or `.`, so e-mail addresses are not mentions.
const MENTION = /(?<![\w@.])@([A-Za-z0-9_.:-]+)/g;

/** The distinct employee ids written as `@id` in `text`, in order of first appearance. */
export function parseMentions(text: string): string[] {
  const ids = new Set<string>();
  for (const [, raw = ''] of text.matchAll(MENTION)) {
    // "ask @u_li." ends a sentence; ids ending in punctuation are not worth that ambiguity.
    const id = raw.replace(/[.:-]+$/, '');
    if (isTopicId(id)) ids.add(id);
  }
  return [...ids];
}
