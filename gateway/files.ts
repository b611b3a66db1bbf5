import { createHmac, timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import type { Attachment as AttachmentSchema, Message } from '../schemas/index.js';
import type { FileDoc, Models } from '../store/db.js';
import { OpError } from './errors.js';

/**
 * Files in messages. The bytes go to the object store over HTTP (`POST /api/files`); a message
 * carries only an attachment `{ name, size, type, sha256, object_id }`. Stored messages never hold
 * a link: whenever the gateway hands a message out (delivery, msg.history, msg.sync, conv.list) it
 * adds a fresh signed `url` to each attachment with `withLinks`, and the link is the credential of
 * `GET /api/files/{object_id}`. Only members of a conversation get its messages, so only they get
 * links.
 */

// --- signed links --------------------------------------------------------------------------------

/** Signs and checks `/api/files/{object_id}?exp=&sig=` links; the key is derived from the service secret. */
export class FileLinks {
  private readonly key: Buffer;

  constructor(
    serviceSecret: string,
    readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    // A key of its own, so a link signature can never stand for any other use of the service secret.
    this.key = createHmac('sha256', serviceSecret).update('mchat file links v1').digest();
  }

  private mac(objectId: string, exp: string): Buffer {
    return createHmac('sha256', this.key).update(`${objectId}.${exp}`).digest();
  }

  /** `exp` (epoch seconds) and `sig` for one object; `exp` defaults to now + the TTL. */
  sign(objectId: string, exp = Math.floor(this.now() / 1000) + this.ttlSeconds): { exp: string; sig: string } {
    const e = String(exp);
    return { exp: e, sig: this.mac(objectId, e).toString('base64url') };
  }

  /** The path of a download link, relative to the gateway's HTTP API. */
  url(objectId: string, exp?: number): string {
    const { exp: e, sig } = this.sign(objectId, exp);
    return `/api/files/${encodeURIComponent(objectId)}?exp=${e}&sig=${sig}`;
  }

  verify(objectId: string, exp: string, sig: string): boolean {
    if (!/^\d{1,12}$/.test(exp) || Number(exp) * 1000 <= this.now()) return false;
    const given = Buffer.from(sig, 'base64url');
    const expected = this.mac(objectId, exp);
    // base64url decoding is lenient: compare the canonical spelling too, so one link has one signature.
    return given.length === expected.length && timingSafeEqual(given, expected) && given.toString('base64url') === sig;
  }

  /** The message with a fresh link on every attachment that is an upload; the message itself is not changed. */
  withLinks(msg: Message): Message {
    const attachments = msg.body?.attachments ?? [];
    if (!attachments.some((a) => a.object_id)) return msg;
    const exp = Math.floor(this.now() / 1000) + this.ttlSeconds;
    return {
      ...msg,
      body: { ...msg.body, attachments: attachments.map((a) => (a.object_id ? { ...a, url: this.url(a.object_id, exp) } : a)) },
    };
  }
}

/** `withLinks` for a context that may have no file links (then messages go out as they are). */
export function withLinks(ctx: { files?: FileLinks | undefined }, msg: Message): Message {
  return ctx.files ? ctx.files.withLinks(msg) : msg;
}

type Attachment = z.infer<typeof AttachmentSchema>;

// --- msg.send ------------------------------------------------------------------------------------

/**
 * The attachments of a message being sent, checked against the sender's uploads: each must name
 * an upload of the sender's (`object_id`) with the same `sha256`. Size and type are taken from the
 * upload, not the client; links are never stored. Someone else's upload and no upload look the
 * same (E_NOT_FOUND), so upload ids cannot be probed.
 */
export async function ownAttachments(m: Models, sender: string, attachments: readonly Attachment[]): Promise<Attachment[]> {
  if (attachments.length === 0) return [];
  const ids = attachments.map((a) => a.object_id).filter((id): id is string => id !== undefined);
  const uploads = new Map(
    (await m.File.find({ object_id: { $in: ids }, owner: sender }, { _id: 0 }).lean<FileDoc[]>()).map((f) => [f.object_id, f]),
  );
  return attachments.map((a, i) => {
    const field = `payload.body.attachments.${i}`;
    if (!a.object_id) throw new OpError('E_SCHEMA', 'upload the file first (POST /api/files) and give its object_id', `${field}.object_id`);
    const upload = uploads.get(a.object_id);
    if (!upload) throw new OpError('E_NOT_FOUND', `no upload "${a.object_id}" of yours`, `${field}.object_id`);
    if (upload.sha256 !== a.sha256) throw new OpError('E_CONFLICT', 'sha256 is not the hash of that upload', `${field}.sha256`);
    return { name: a.name, size: upload.size, type: upload.type, sha256: upload.sha256, object_id: upload.object_id };
  });
}
