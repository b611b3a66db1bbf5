import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Config } from '../lib/config.js';

/**
 * Where uploaded files' bytes live. What a file is and whose (name, type, owner, hash) is in the
 * database (`files`); the store only maps a key to bytes.
 *
 * The contract every implementation keeps (test/object-store-contract.ts checks it):
 * - `put` is all or nothing: when it rejects (the body failed, the store failed) nothing is kept
 *   under the key;
 * - `get` of a key that was never put, or was deleted, is `undefined`, not an error;
 * - `delete` of a missing key succeeds;
 * - keys are `[A-Za-z0-9_-]{1,128}`; anything else throws before touching the store.
 */
export interface ObjectStore {
  readonly kind: 'local' | 's3';
  put(key: string, body: Readable, opts: { type: string }): Promise<void>;
  get(key: string): Promise<StoredObject | undefined>;
  delete(key: string): Promise<void>;
}

export interface StoredObject {
  body: Readable;
  size: number;
}

const KEY = /^[A-Za-z0-9_-]{1,128}$/;

export function checkKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`not a valid object key: ${JSON.stringify(key)}`);
  return key;
}

/** Files in a folder, `{dir}/{last two characters of the key}/{key}`, written to a temporary name and renamed. */
export class LocalObjectStore implements ObjectStore {
  readonly kind = 'local';

  constructor(readonly dir: string) {}

  private path(key: string): { folder: string; file: string } {
    const folder = join(this.dir, checkKey(key).slice(-2));
    return { folder, file: join(folder, key) };
  }

  async put(key: string, body: Readable, _opts: { type: string }): Promise<void> {
    const { folder, file } = this.path(key);
    await mkdir(folder, { recursive: true });
    // A dot name is never a valid key, so a half-written file can never be read as an object.
    const tmp = join(folder, `.${key}.${randomBytes(6).toString('hex')}.part`);
    try {
      await pipeline(body, createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
      await rename(tmp, file);
    } catch (err) {
      body.destroy();
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const { file } = this.path(key);
    try {
      const handle = await open(file, 'r');
      const { size } = await handle.stat().catch(async (err: unknown) => {
        await handle.close();
        throw err;
      });
      return { body: handle.createReadStream(), size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key).file, { force: true });
  }
}

/**
 * An S3 bucket (AWS, MinIO, anything S3-compatible). Uploads go through the SDK's multipart
 * `Upload`, so a body of unknown length streams in parts; a failed upload is aborted and leaves
 * nothing.
 */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3';

  constructor(
    readonly client: S3Client,
    readonly bucket: string,
  ) {}

  async put(key: string, body: Readable, opts: { type: string }): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: checkKey(key), Body: body, ContentType: opts.type },
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      body.destroy();
      throw err;
    }
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: checkKey(key) }));
      return { body: out.Body as Readable, size: out.ContentLength ?? 0 };
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: checkKey(key) }));
  }
}

export type ObjectStoreConfig = Pick<
  Config,
  | 'MCHAT_OBJECT_STORE' | 'MCHAT_DATA_DIR' | 'S3_ENDPOINT' | 'S3_BUCKET' | 'S3_REGION'
  | 'S3_ACCESS_KEY_ID' | 'S3_SECRET_ACCESS_KEY' | 'S3_FORCE_PATH_STYLE'
>;

/** The store the configuration names: `local` (MCHAT_DATA_DIR/objects) unless MCHAT_OBJECT_STORE=s3. */
export function objectStore(config: ObjectStoreConfig): ObjectStore {
  if (config.MCHAT_OBJECT_STORE === 'local') return new LocalObjectStore(join(config.MCHAT_DATA_DIR, 'objects'));
  if (!config.S3_BUCKET) throw new Error('MCHAT_OBJECT_STORE=s3 needs S3_BUCKET');
  return new S3ObjectStore(s3Client(config), config.S3_BUCKET);
}

export function s3Client(config: Omit<ObjectStoreConfig, 'MCHAT_OBJECT_STORE' | 'MCHAT_DATA_DIR' | 'S3_BUCKET'>): S3Client {
  const keys = config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
    ? { credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY } }
    : {}; // the SDK's default chain: environment, profile, instance role
  return new S3Client({
    region: config.S3_REGION,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    ...keys,
    // Not every S3-compatible server knows the newer default checksums; send them only when required.
    ...(config.S3_ENDPOINT
      ? { endpoint: config.S3_ENDPOINT, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
}
