import type { CapabilityCard, PublicProfile } from '$schemas';

/** What the `@` autocomplete offers: a colleague (person or agent) or one agent's skill. */
export type Candidate =
  | { kind: 'employee'; employee: PublicProfile }
  | { kind: 'skill'; agent: PublicProfile; card: CapabilityCard };

/** An `@` being typed: where it starts in the text and what follows it up to the caret. */
export interface MentionQuery {
  start: number;
  query: string;
}

/**
 * The `@word` the caret is at the end of, if any. Like the mentions parser, an `@` right after a
 * word character (an e-mail address) does not start one; any script counts as the query, so
 * `@报销` and `@bx` both look for 报销机器人.
 */
export function mentionAt(text: string, caret: number): MentionQuery | null {
  const before = text.slice(0, caret);
  const match = /(?:^|[^\w@.])@([^\s@]{0,32})$/u.exec(before);
  if (!match) return null;
  const query = match[1] ?? '';
  return { start: caret - query.length - 1, query };
}

function score(query: string, ...names: string[]): number {
  const q = query.toLowerCase();
  if (!q) return 1;
  let best = 0;
  for (const raw of names) {
    const name = raw.toLowerCase();
    if (name === q) best = Math.max(best, 4);
    else if (name.startsWith(q)) best = Math.max(best, 3);
    else if (name.includes(q)) best = Math.max(best, 2);
  }
  return best;
}

/**
 * The colleagues and skills to offer for `query`, best first: exact, then prefix, then any-part
 * matches of a name or id; colleagues the gateway found by pinyin (no local match) keep its order
 * after those. Skills match by their name, keywords or their agent's name.
 */
export function rankCandidates(
  query: string,
  employees: PublicProfile[],
  skills: { agent: PublicProfile; card: CapabilityCard }[],
  limit = 8,
): Candidate[] {
  const ranked: { c: Candidate; s: number; i: number }[] = [];
  employees.forEach((employee, i) => {
    // The gateway matched it (pinyin, initials), so it stays, below the local matches.
    ranked.push({ c: { kind: 'employee', employee }, s: score(query, employee.name, employee.id) || 1, i });
  });
  skills.forEach(({ agent, card }, i) => {
    const s = score(query, card.name, ...card.trigger_keywords, agent.name, agent.id);
    if (s) ranked.push({ c: { kind: 'skill', agent, card }, s, i: employees.length + i });
  });
  return ranked
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .slice(0, limit)
    .map((r) => r.c);
}

/** What picking `candidate` writes in place of the `@query`, and the id it mentions. */
export function insertion(candidate: Candidate): { text: string; mention: string } {
  if (candidate.kind === 'employee') return { text: `@${candidate.employee.id} `, mention: candidate.employee.id };
  const prompt = candidate.card.examples[0] ?? candidate.card.name;
  return { text: `@${candidate.agent.id} ${prompt}`, mention: candidate.agent.id };
}

/** `text` with the `@query` at `at` replaced by `insert`, and the caret after it. */
export function replaceMention(text: string, at: MentionQuery, insert: string): { text: string; caret: number } {
  const end = at.start + 1 + at.query.length;
  return { text: text.slice(0, at.start) + insert + text.slice(end), caret: at.start + insert.length };
}
