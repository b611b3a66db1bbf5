import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router, type Request, type Response } from 'express';
import { ulid } from 'ulid';
import { z } from 'zod';
import { FileLinkQuery, FileParams, UploadQuery } from '../../schemas/index.js';
import type { Tokens } from '../../lib/auth.js';
import type { FileDoc, Models } from '../../store/db.js';
import type { MediaOptions } from './options.js';
import type { Logger } from '../../lib/logger.js';
import { orgCache } from '../../store/org-cache.js';
import { bearer, parse, sendError, wrap } from './util.js';


export interface MediaRouteOptions extends MediaOptions {
  m: Models;
  tokens: Tokens;
  log: Logger;
}

/** `type/subtype` with optional parameters, as a Content-Type header gives it. */
const MediaType = z.string().max(128).regex(/^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(?:\s*;[\x20-\x7e]*)?$/, 'not a media type');

class TooLarge extends Error {}

/** Passes bytes through, hashing and counting them; fails once there are more than `max`. */
class Meter extends Transform {
  readonly hash = createHash('sha256');
  size = 0;

  constructor(private readonly max: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.max) return cb(new TooLarge());
    this.hash.update(chunk);
    cb(null, chunk);
  }
}

/**
 * `POST /api/files` (Bearer; the raw body is the file, its Content-Type the file's type, `?name=`
 * its name) and `GET /api/files/{object_id}?exp=&sig=` (the signed link is the credential).
 * Mount it before any body parser: the upload streams the request itself.
 */
export function mediaRoutes(opts: MediaRouteOptions): Router {
  const { m, store, links, log } = opts;
  const router = Router();

  const tooLarge = (res: Response) =>
    sendError(res, { code: 'E_TOO_LARGE', message: `a file may be at most ${opts.maxUploadBytes} bytes` });

  /** Answers now; what the client still sends is read and dropped, so it gets to see the answer. */
  // The answer goes out at once, but the socket stays open while the client is still sending, so
  // it reads the answer instead of a reset; a client that keeps sending past the bound is cut off.
  const refuse = (req: Request, send: () => void) => {
    send();
    let drained = 0;
    req.on('data', (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > 2 * opts.maxUploadBytes) req.socket.destroy();
    });
    req.resume();
  };

  router.post('/api/files', wrap(async (req, res) => {
    const token = bearer(req);
    const claims = token ? await opts.tokens.verify(token) : undefined;
    const owner = claims && (await orgCache(m).activeEmployee(claims.sub)) ? claims.sub : undefined;
    if (!owner) return refuse(req, () => sendError(res, { code: 'E_AUTH', message: 'missing, expired or revoked token' }));
    const query = parse(UploadQuery, req.query);
    if (!query.ok) return refuse(req, () => sendError(res, query.error));
    const type = parse(MediaType, (req.get('content-type') ?? 'application/octet-stream').trim());
    if (!type.ok) return refuse(req, () => sendError(res, { ...type.error, field: 'Content-Type' }));
    const declared = Number(req.get('content-length') ?? NaN);
    if (declared > opts.maxUploadBytes) return refuse(req, () => tooLarge(res));

    const objectId = ulid();
    const meter = new Meter(opts.maxUploadBytes);
    // Not pipeline(): a failing meter must not destroy the request, whose socket carries the answer.
    let cutOff = false;
    req.pipe(meter);
    req.on('close', () => {
      if (req.complete) return;
      cutOff = true;
      meter.destroy(new Error('the upload was cut off'));
    });
    try {
      await store.put(objectId, meter, { type: type.value });
    } catch (err) {
      req.unpipe(meter);
      await store.delete(objectId).catch(() => undefined);
      if (err instanceof TooLarge || meter.size > opts.maxUploadBytes) return refuse(req, () => tooLarge(res));
      if (cutOff) return log.info({ owner }, 'upload cut off by the client');
      log.error({ err, owner }, 'could not store an upload');
      return refuse(req, () => sendError(res, { code: 'E_UNAVAILABLE', message: 'the file store is unavailable; retry later' }));
    }
    const file: FileDoc = {
      object_id: objectId,
      owner,
      name: query.value.name,
      size: meter.size,
      type: type.value,
      sha256: meter.hash.digest('hex'),
      created_at: Date.now(),
    };
    try {
      await m.File.create(file);
    } catch (err) {
      await store.delete(objectId).catch(() => undefined);
      throw err;
    }
    log.info({ owner, object_id: objectId, size: file.size }, 'file uploaded');
    res.json({ object_id: file.object_id, name: file.name, size: file.size, type: file.type, sha256: file.sha256 });
  }));

  router.get('/api/files/:object_id', wrap(async (req, res) => {
    const params = parse(FileParams, req.params);
    const query = parse(FileLinkQuery, req.query);
    if (!params.ok || !query.ok || !links.verify(params.value.object_id, query.value.exp, query.value.sig)) {
      return sendError(res, { code: 'E_FORBIDDEN', message: 'the link has expired or is not valid; ask for the message again for a fresh one' });
    }
    const objectId = params.value.object_id;
    const file = await m.File.findOne({ object_id: objectId }, { _id: 0 }).lean<FileDoc>();
    const object = file && (await store.get(objectId));
    if (!file || !object) {
      if (file) log.warn({ object_id: objectId }, 'a file without its object');
      return sendError(res, { code: 'E_NOT_FOUND', message: 'the file is gone' });
    }
    const seconds = Math.max(0, Number(query.value.exp) - Math.floor(Date.now() / 1000));
    // attachment() first: it would set a type from the name's extension; the upload's type wins.
    res.attachment(file.name);
    res.setHeader('Content-Type', file.type);
    res.setHeader('Content-Length', String(object.size));
    res.setHeader('Cache-Control', `private, max-age=${seconds}, immutable`);
    // Uploads are anyone's bytes: never sniffed, never run as a page of the gateway's origin.
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
    try {
      await pipeline(object.body, res);
    } catch (err) {
      if (!res.writableFinished && !req.destroyed) log.warn({ err, object_id: objectId }, 'download failed');
    }
  }));

  return router;
}
