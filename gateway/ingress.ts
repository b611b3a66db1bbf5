import { isTopicId, topics, RequestEnvelope, errorResponse, okResponse, schemaError, isOpName, opPayloads, type ErrorBody } from '../schemas/index.js';
import type { Caller } from './caller.js';
import type { GatewayContext } from './context.js';
import { OpError, toErrorBody } from './errors.js';
import { handlers } from './ops/index.js';
import { runAdmin } from './admin/run.js';

/**
 * One request from one caller: size, JSON, envelope and payload are checked in that order, the op
 * runs, and exactly one response goes to `mchat/msg/resp/{client_id}/{seq_id}`. Nothing a caller
 * sends can throw out of here. `topicSeqId` is the request topic's last segment; admin commands on
 * `mchat/admin/cmd` have none, so theirs comes from the envelope.
 */
export async function handleRequest(ctx: GatewayContext, caller: Caller, topicSeqId: string | undefined, raw: Buffer): Promise<void> {
  const started = performance.now();
  let op = '?';
  let seqId = topicSeqId;
  const respond = async (response: ReturnType<typeof okResponse>) => {
    if (seqId === undefined) return ctx.log.warn({ clientId: caller.clientId, op }, 'admin command without a usable seq_id dropped');
    try {
      await ctx.publisher.publish(topics.resp(caller.clientId, seqId), response, { qos: 1 });
    } catch (err) {
      ctx.log.error({ err, clientId: caller.clientId, seqId }, 'could not publish response');
    }
  };
  const fail = (error: ErrorBody, err?: unknown) => {
    const level = error.code === 'E_INTERNAL' ? 'error' : 'warn';
    ctx.log[level]({ err, clientId: caller.clientId, seqId, op, code: error.code, reason: error.message }, 'request refused');
    return respond(errorResponse(seqId ?? '-', error));
  };

  if (raw.length > ctx.maxPayloadBytes) {
    return fail({ code: 'E_TOO_LARGE', message: `request is ${raw.length} bytes; the limit is ${ctx.maxPayloadBytes}` });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return fail({ code: 'E_SCHEMA', message: 'request is not valid JSON' });
  }
  if (topicSeqId === undefined) {
    const given = (json as { seq_id?: unknown } | null)?.seq_id;
    if (typeof given === 'string' && isTopicId(given)) seqId = given;
  }
  const envelope = RequestEnvelope.safeParse(json);
  if (!envelope.success) return fail(schemaError(envelope.error));
  const req = envelope.data;
  op = req.op;
  if (req.seq_id !== seqId) {
    return fail({ code: 'E_SCHEMA', message: `seq_id must equal the topic's last segment (${seqId})`, field: 'seq_id' });
  }
  if (req.client_id !== caller.clientId) {
    return fail({ code: 'E_SCHEMA', message: 'client_id must be the id this connection authenticated with', field: 'client_id' });
  }
  let run: () => Promise<unknown>;
  if (req.op.startsWith('admin.')) {
    run = () => runAdmin(ctx.admin, caller, req.op, req.payload, 'mqtt');
  } else {
    if (topicSeqId === undefined) {
      return fail({ code: 'E_SCHEMA', message: 'only admin.* ops may be sent on mchat/admin/cmd', field: 'op' });
    }
    const name = req.op;
    if (!isOpName(name)) return fail({ code: 'E_NOT_FOUND', message: `unknown op "${name}"`, field: 'op' });
    const payload = opPayloads[name].safeParse(req.payload);
    if (!payload.success) return fail(schemaError(payload.error, 'payload'));
    run = () => handlers[name](ctx, caller, payload.data as never);
  }

  try {
    const wait = await ctx.limiter.take(caller.id);
    if (wait !== undefined) {
      return fail({ code: 'E_RATE_LIMITED', message: `too many requests; retry in ${wait} ms`, retry_after_ms: wait });
    }
    await respond(okResponse(req.seq_id, await run()));
    ctx.log.debug({ clientId: caller.clientId, seqId, op, ms: performance.now() - started }, 'request served');
  } catch (err) {
    await fail(toErrorBody(err), err instanceof OpError ? undefined : err);
  }
}
