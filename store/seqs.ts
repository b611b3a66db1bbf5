import type { Redis } from 'ioredis';

/**
 * Hands out each conversation's seqs from one counter in Redis that every gateway and worker
 * shares, so two writers never race for a number. A counter that is missing (first message since
 * Redis lost its data, or a week of quiet) is seeded from the newest stored seq.
 *
 * A seq is reserved before its message is inserted; the reservation (conversation, seq, writer)
 * stays in a sorted set by time until the writer settles it. A writer that dies or fails in
 * between leaves it there, and the store fills that seq with an empty recalled message (see
 * MessageStore.fillHoles), so a conversation's seqs stay 1, 2, 3… without a gap.
 */
export interface Reservation {
  conversation_id: string;
  seq: number;
  /** The writer that reserved it: a filled hole is shown as its recalled message. */
  from: string;
}

/** Seqs, for each conversation id in KEYS[2..]; false where its counter is missing. */
const RESERVE = `
local out = {}
for i = 2, #KEYS do
  if redis.call('exists', KEYS[i]) == 1 then
    local seq = redis.call('incr', KEYS[i])
    redis.call('pexpire', KEYS[i], ARGV[2])
    redis.call('zadd', KEYS[1], ARGV[1], ARGV[i + 1] .. '|' .. seq .. '|' .. ARGV[i + 1 + #KEYS - 1])
    out[i - 1] = seq
  else
    out[i - 1] = false
  end
end
return out`;

/** Raises the counter to at least ARGV[1] (creating it): after a seed, or a collision with a message from before. */
const RAISE = `
local current = tonumber(redis.call('get', KEYS[1]) or '0')
redis.call('set', KEYS[1], math.max(current, tonumber(ARGV[1])), 'PX', ARGV[2])
return 1`;

/** Gives the seq back when nobody took a later one (a retry of a stored message), so no hole is left. */
const GIVE_BACK = `
if tonumber(redis.call('get', KEYS[1]) or '0') == tonumber(ARGV[1]) then
  redis.call('decr', KEYS[1])
  redis.call('zrem', KEYS[2], ARGV[2])
  return 1
end
return 0`;

/** An idle conversation's counter lasts this long; then it is seeded again. */
const COUNTER_TTL_MS = 7 * 24 * 3600_000;

const member = (r: Reservation) => `${r.conversation_id}|${r.seq}|${r.from}`;

export class SeqCounters {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** The newest seq stored in a conversation (0 for none): where a missing counter starts. */
    private readonly newestStored: (conversationId: string) => Promise<number>,
  ) {}

  private counter(conversationId: string): string {
    return `${this.prefix}seq:${conversationId}`;
  }

  private get reservations(): string {
    return `${this.prefix}seq-reservations`;
  }

  /** One seq per request, in the order asked (one conversation may be asked several times). */
  async reserve(requests: readonly { conversation_id: string; from: string }[], seeded = false): Promise<number[]> {
    const keys = requests.map((r) => this.counter(r.conversation_id));
    const args = [Date.now(), COUNTER_TTL_MS, ...requests.map((r) => r.conversation_id), ...requests.map((r) => r.from)];
    const seqs = (await this.redis.eval(RESERVE, keys.length + 1, this.reservations, ...keys, ...args)) as (number | null)[];
    const missing = [...new Set(requests.filter((_, i) => seqs[i] == null).map((r) => r.conversation_id))];
    if (missing.length === 0) return seqs as number[];
    if (seeded) throw new Error(`the seq counters of ${missing.join(', ')} vanish as soon as they are seeded`);
    await Promise.all(missing.map(async (id) => this.raise(id, await this.newestStored(id))));
    const again = requests.map((r, i) => (seqs[i] == null ? r : undefined));
    const retried = await this.reserve(again.filter((r) => r !== undefined), true);
    let next = 0;
    return seqs.map((s) => s ?? retried[next++]!);
  }

  /** Moves the counter past `seq` (a message that exists), so the next reservation lands after it. */
  async raise(conversationId: string, seq: number): Promise<void> {
    await this.redis.eval(RAISE, 1, this.counter(conversationId), seq, COUNTER_TTL_MS);
  }

  /** The highest seq handed out in the conversation; 0 when Redis does not know. */
  async current(conversationId: string): Promise<number> {
    return Number((await this.redis.get(this.counter(conversationId))) ?? 0);
  }

  /** The counters Redis knows of these conversations, in one read; a missing one is left out. */
  async currentMany(conversationIds: readonly string[]): Promise<Map<string, number>> {
    if (conversationIds.length === 0) return new Map();
    const values = await this.redis.mget(...conversationIds.map((id) => this.counter(id)));
    return new Map(conversationIds.flatMap((id, i) => (values[i] == null ? [] : [[id, Number(values[i])] as const])));
  }

  /** The message is stored, or the seq holds another message: no hole to fill. */
  async settle(reservations: readonly Reservation[]): Promise<void> {
    if (reservations.length) await this.redis.zrem(this.reservations, ...reservations.map(member));
  }

  /** A reservation not needed after all; true when it was the newest and is gone, else it is a hole to fill. */
  async giveBack(r: Reservation): Promise<boolean> {
    return (await this.redis.eval(GIVE_BACK, 2, this.counter(r.conversation_id), this.reservations, r.seq, member(r))) === 1;
  }

  /** Reservations older than `ageMs`: their writers died or gave up. */
  async stale(ageMs: number, limit = 500): Promise<Reservation[]> {
    const members = await this.redis.zrangebyscore(this.reservations, '-inf', Date.now() - ageMs, 'LIMIT', 0, limit);
    return members.flatMap((m) => {
      const [conversation_id, seq, from] = m.split('|');
      return conversation_id && seq && from ? [{ conversation_id, seq: Number(seq), from }] : [];
    });
  }
}
