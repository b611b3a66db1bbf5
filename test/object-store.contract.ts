/**
 * The object store contract (see ObjectStore in store/objects.ts) as plain cases, so one list checks
 * every implementation. gateway/http/media.test.ts runs it against the local store in every test run;
 * run directly, this file runs it against the S3 bucket the environment names (nothing in the
 * default vitest run depends on S3, and nothing there is skipped for lack of it):
 *
 *   docker run -d --name mchat-minio -p 9000:9000 -e MINIO_ROOT_USER=minio -e MINIO_ROOT_PASSWORD=minio-secret \
 *     minio/minio server /data
 *   docker exec mchat-minio mc mb /data/mchat-test    # or create the bucket in the console
 *   S3_ENDPOINT=http://127.0.0.1:9000 S3_BUCKET=mchat-test S3_ACCESS_KEY_ID=minio \
 *     S3_SECRET_ACCESS_KEY=minio-secret S3_FORCE_PATH_STYLE=true npx tsx test/object-store.contract.ts
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ulid } from 'ulid';
import { s3Client, S3ObjectStore, type ObjectStore } from '../store/objects.js';

export interface ContractCase {
  name: string;
  run(): Promise<void>;
}

async function bytesOf(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A body that sends `good` bytes and then fails, as an upload cut off halfway does. */
function failingBody(good: Buffer): Readable {
  return new Readable({
    read() {
      if (this.readableLength === 0 && good.length) {
        this.push(good);
        good = Buffer.alloc(0);
      } else {
        this.destroy(new Error('the client went away'));
      }
    },
  });
}

export function objectStoreContract(store: ObjectStore): ContractCase[] {
  const key = () => `t${ulid()}`;
  return [
    {
      name: 'put then get returns the same bytes and size',
      async run() {
        const k = key();
        const data = randomBytes(100_000);
        await store.put(k, Readable.from([data.subarray(0, 1234), data.subarray(1234)]), { type: 'application/octet-stream' });
        const got = await store.get(k);
        assert.ok(got, 'the object is there');
        assert.equal(got.size, data.length);
        assert.equal(sha(await bytesOf(got.body)), sha(data));
        await store.delete(k);
      },
    },
    {
      name: 'an empty object is an object',
      async run() {
        const k = key();
        await store.put(k, Readable.from([]), { type: 'text/plain' });
        const got = await store.get(k);
        assert.ok(got);
        assert.equal(got.size, 0);
        assert.equal((await bytesOf(got.body)).length, 0);
        await store.delete(k);
      },
    },
    {
      name: 'a body larger than one S3 part (multipart) arrives whole',
      async run() {
        const k = key();
        const data = randomBytes(6 * 1024 * 1024 + 17);
        const chunks = Array.from({ length: Math.ceil(data.length / 65_536) }, (_, i) => data.subarray(i * 65_536, (i + 1) * 65_536));
        await store.put(k, Readable.from(chunks), { type: 'application/octet-stream' });
        const got = await store.get(k);
        assert.ok(got);
        assert.equal(got.size, data.length);
        assert.equal(sha(await bytesOf(got.body)), sha(data));
        await store.delete(k);
      },
    },
    {
      name: 'get of a key never put is undefined',
      async run() {
        assert.equal(await store.get(key()), undefined);
      },
    },
    {
      name: 'delete removes the object, and deleting a missing key succeeds',
      async run() {
        const k = key();
        await store.put(k, Readable.from([Buffer.from('bye')]), { type: 'text/plain' });
        await store.delete(k);
        assert.equal(await store.get(k), undefined);
        await store.delete(k);
        await store.delete(key());
      },
    },
    {
      name: 'a put whose body fails rejects and keeps nothing',
      async run() {
        const k = key();
        await assert.rejects(store.put(k, failingBody(randomBytes(10_000)), { type: 'application/octet-stream' }));
        assert.equal(await store.get(k), undefined);
      },
    },
    {
      name: 'keys that could escape or alias are refused',
      async run() {
        for (const bad of ['', '..', '../x', 'a/b', 'a b', '.hidden', 'x'.repeat(129)]) {
          await assert.rejects(store.put(bad, Readable.from([Buffer.from('x')]), { type: 'text/plain' }), /not a valid object key/, bad);
          await assert.rejects(store.get(bad), /not a valid object key/, bad);
          await assert.rejects(store.delete(bad), /not a valid object key/, bad);
        }
      },
    },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bucket = process.env.S3_BUCKET;
  if (!process.env.S3_ENDPOINT || !bucket) {
    console.error('set S3_ENDPOINT and S3_BUCKET (and S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_FORCE_PATH_STYLE=true for MinIO)');
    process.exit(2);
  }
  const env = process.env;
  const client = s3Client({
    S3_ENDPOINT: env.S3_ENDPOINT,
    S3_REGION: env.S3_REGION ?? 'us-east-1',
    S3_ACCESS_KEY_ID: env.S3_ACCESS_KEY_ID,
    S3_SECRET_ACCESS_KEY: env.S3_SECRET_ACCESS_KEY,
    S3_FORCE_PATH_STYLE: env.S3_FORCE_PATH_STYLE === 'true',
  });
  const store = new S3ObjectStore(client, bucket);
  let failed = 0;
  for (const c of objectStoreContract(store)) {
    try {
      await c.run();
      console.log(`ok   ${c.name}`);
    } catch (err) {
      failed++;
      console.log(`FAIL ${c.name}\n     ${(err as Error).stack ?? String(err)}`);
    }
  }
  console.log(failed ? `${failed} failed` : `all passed against ${process.env.S3_ENDPOINT} bucket ${process.env.S3_BUCKET}`);
  process.exit(failed ? 1 : 0);
}
