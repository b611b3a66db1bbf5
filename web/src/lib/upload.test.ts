import { describe, expect, it } from 'vitest';
import { UploadError, tooLarge, uploadAnswer } from './upload';

const stored = { object_id: '01JABCDEFGHJKMNPQRSTVWXYZ0', name: 'a.png', size: 3, type: 'image/png', sha256: 'a'.repeat(64) };

describe('uploadAnswer', () => {
  it('is the stored file on a 2xx with a file body', () => {
    expect(uploadAnswer(201, stored)).toEqual(stored);
  });

  it('keeps the code and message of an error body', () => {
    const answer = uploadAnswer(413, { error: { code: 'E_TOO_LARGE', message: 'a file may be at most 10 bytes' } });
    expect(answer).toBeInstanceOf(UploadError);
    expect(answer).toMatchObject({ code: 'E_TOO_LARGE', message: 'a file may be at most 10 bytes' });
  });

  it('is an internal error when a 2xx is not a file or an error body is not one', () => {
    expect(uploadAnswer(200, { ok: true })).toMatchObject({ code: 'E_INTERNAL' });
    expect(uploadAnswer(502, '<html>')).toMatchObject({ code: 'E_INTERNAL', message: 'the upload failed (HTTP 502)' });
  });
});

describe('tooLarge', () => {
  it('picks the files over the limit', () => {
    const small = new File(['12345'], 'small.txt');
    const big = new File(['1234567890'], 'big.txt');
    expect(tooLarge([small, big], 5)).toEqual([big]);
  });
});
