import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ERROR_CODES, ErrorBody, ErrorCode, ErrorResponse, errorResponse, OkResponse, okResponse, PROTOCOL_VERSION,
  RequestEnvelope, ResponseEnvelope, schemaError,
} from './envelope.js';

const paths = (schema: z.ZodType, value: unknown) => {
  const r = schema.safeParse(value);
  expect(r.success).toBe(false);
  return r.error!.issues.map((i) => i.path.join('.'));
};

const request = { v: 1, seq_id: '01JD3ABC', client_id: 'u_li:web-3f2a', op: 'msg.send', payload: { a: 1 }, ts: 1_764_000_000_000 };

describe('ErrorCode and ErrorBody', () => {
  it('knows exactly the protocol error codes', () => {
    expect([...ERROR_CODES].sort()).toEqual(
      ['E_AUTH', 'E_CONFLICT', 'E_FORBIDDEN', 'E_INTERNAL', 'E_NOT_FOUND', 'E_RATE_LIMITED', 'E_SCHEMA', 'E_TOO_LARGE', 'E_UNAVAILABLE'],
    );
    expect(ErrorCode.safeParse('E_NOPE').success).toBe(false);
  });
  it('accepts a full body and a minimal one', () => {
    expect(ErrorBody.safeParse({ code: 'E_RATE_LIMITED', message: 'slow down', retry_after_ms: 500 }).success).toBe(true);
    expect(ErrorBody.safeParse({ code: 'E_SCHEMA', message: 'x', field: 'payload.body' }).success).toBe(true);
  });
  it.each([
    [{ code: 'E_SCHEMA', message: '' }, 'message'],
    [{ code: 'E_SCHEMA' }, 'message'],
    [{ code: 'E_WHAT', message: 'x' }, 'code'],
    [{ code: 'E_RATE_LIMITED', message: 'x', retry_after_ms: -1 }, 'retry_after_ms'],
    [{ code: 'E_RATE_LIMITED', message: 'x', retry_after_ms: 1.5 }, 'retry_after_ms'],
    [{ code: 'E_SCHEMA', message: 'x', field: 3 }, 'field'],
  ])('rejects %j at %s', (value, path) => expect(paths(ErrorBody, value)).toContain(path));
});

describe('RequestEnvelope', () => {
  it('accepts a request and defaults payload to {}', () => {
    expect(RequestEnvelope.parse(request)).toEqual(request);
    const { payload: _, ts: __, ...bare } = request;
    expect(RequestEnvelope.parse(bare).payload).toEqual({});
  });
  it.each(['msg.send', 'admin.employee.create', 'group.add_members'])('accepts op %j', (op) => {
    expect(RequestEnvelope.safeParse({ ...request, op }).success).toBe(true);
  });
  it.each([
    [{ v: 2 }, 'v'],
    [{ v: '1' }, 'v'],
    [{ seq_id: 'a/b' }, 'seq_id'],
    [{ seq_id: 'a'.repeat(65) }, 'seq_id'],
    [{ seq_id: '+' }, 'seq_id'],
    [{ client_id: 'u_li' }, 'client_id'],
    [{ client_id: 'u_li:web:x' }, 'client_id'],
    [{ op: 'send' }, 'op'],
    [{ op: 'Msg.send' }, 'op'],
    [{ op: 'msg.send.' }, 'op'],
    [{ op: 'msg/send' }, 'op'],
    [{ payload: [] }, 'payload'],
    [{ payload: 'x' }, 'payload'],
    [{ ts: -5 }, 'ts'],
    [{ ts: '1' }, 'ts'],
  ])('rejects %j at %s', (patch, path) => expect(paths(RequestEnvelope, { ...request, ...patch })).toContain(path));
  it.each(['v', 'seq_id', 'client_id', 'op'])('requires %s', (key) => {
    const copy: Record<string, unknown> = { ...request };
    delete copy[key];
    expect(paths(RequestEnvelope, copy)).toContain(key);
  });
});

describe('responses', () => {
  it('okResponse and errorResponse build valid envelopes', () => {
    const ok = okResponse('s1', { msg_id: 'm' });
    expect(ok).toEqual({ v: PROTOCOL_VERSION, seq_id: 's1', ok: true, result: { msg_id: 'm' } });
    expect(OkResponse.safeParse(ok).success).toBe(true);
    expect(ResponseEnvelope.safeParse(ok).success).toBe(true);
    const err = errorResponse('s1', { code: 'E_AUTH', message: 'no' });
    expect(err).toEqual({ v: 1, seq_id: 's1', ok: false, error: { code: 'E_AUTH', message: 'no' } });
    expect(ErrorResponse.safeParse(err).success).toBe(true);
    expect(ResponseEnvelope.safeParse(err).success).toBe(true);
  });
  it.each([
    [{ v: 1, seq_id: 's', ok: false, result: 1 }, 'error'],
    [{ v: 1, seq_id: 's', ok: false, error: { code: 'E_X', message: 'm' } }, 'error.code'],
    [{ v: 1, seq_id: 'a b', ok: true, result: 1 }, 'seq_id'],
    [{ v: 0, seq_id: 's', ok: true, result: 1 }, 'v'],
  ])('ResponseEnvelope rejects %j at %s', (value, path) => expect(paths(ResponseEnvelope, value)).toContain(path));
  it('ResponseEnvelope rejects a non-boolean ok', () => {
    expect(ResponseEnvelope.safeParse({ v: 1, seq_id: 's', ok: 'yes', result: 1 }).success).toBe(false);
    expect(OkResponse.safeParse({ v: 1, seq_id: 's', ok: false, result: 1 }).success).toBe(false);
    expect(ErrorResponse.safeParse({ v: 1, seq_id: 's', ok: true, error: { code: 'E_AUTH', message: 'm' } }).success).toBe(false);
  });
});

describe('schemaError', () => {
  const Schema = z.object({ body: z.object({ text: z.string() }) });
  const fail = (v: unknown) => Schema.safeParse(v).error!;

  it('names the nested field path', () => {
    const e = schemaError(fail({ body: { text: 5 } }));
    expect(e.code).toBe('E_SCHEMA');
    expect(e.field).toBe('body.text');
    expect(e.message.startsWith('body.text: ')).toBe(true);
    expect(ErrorBody.safeParse(e).success).toBe(true);
  });
  it('puts the prefix in front', () => {
    const e = schemaError(fail({ body: { text: 5 } }), 'payload');
    expect(e.field).toBe('payload.body.text');
    expect(e.message.startsWith('payload.body.text: ')).toBe(true);
  });
  it('uses array indexes as segments', () => {
    const e = schemaError(z.object({ xs: z.array(z.number()) }).safeParse({ xs: [1, 'two'] }).error!, 'payload');
    expect(e.field).toBe('payload.xs.1');
  });
  it('says (root) and has no field when the root is wrong and there is no prefix', () => {
    const e = schemaError(fail('nope'));
    expect(e.field).toBeUndefined();
    expect(e.message.startsWith('(root): ')).toBe(true);
  });
  it('names just the prefix when the root is wrong', () => {
    expect(schemaError(fail('nope'), 'payload').field).toBe('payload');
  });
  it('copes with an error without issues', () => {
    expect(schemaError(new z.ZodError([]))).toEqual({ code: 'E_SCHEMA', message: 'invalid input' });
  });
});
