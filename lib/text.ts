import { pinyin } from 'pinyin-pro';

/** `s` as a literal inside a regular expression. */
export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const HAN = /\p{Script=Han}/u;
const PINYIN_QUERY = /^[a-z][a-z' ]*$/i;

/** Whether `q` could be a name typed in pinyin: Latin letters, spaces and the syllable mark. */
export const isPinyinQuery = (q: string): boolean => PINYIN_QUERY.test(q);

/**
 * A Chinese name as it is typed in Latin letters: syllables run together ("zhangwei") and their
 * initials ("zw"); a name with no Han characters has none. Surnames are read as surnames (曾 zeng).
 */
export function pinyinForms(name: string): string[] {
  if (!HAN.test(name)) return [];
  const options = { toneType: 'none', type: 'array', nonZh: 'consecutive', surname: 'head' } as const;
  const syllables = pinyin(name, options).map((s) => s.trim().toLowerCase()).filter(Boolean);
  const initials = pinyin(name, { ...options, pattern: 'first' }).map((s) => s.trim().toLowerCase()).filter(Boolean);
  return [syllables.join(''), initials.join('')];
}

/** Whether the pinyin query `q` is a run of the name's pinyin ("zhang", "zhangw", "wei") or of its initials. */
export function matchesPinyin(forms: readonly string[], q: string): boolean {
  const typed = q.toLowerCase().replace(/[' ]/g, '');
  return typed.length > 0 && forms.some((f) => f.includes(typed));
}
