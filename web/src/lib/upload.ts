import { ErrorBody, UploadResult } from '../../../schemas/index.js';

/** A failed upload, as a protocol error so `errorText` can say it in the user's language. */
export class UploadError extends Error {
  constructor(readonly code: ErrorBody['code'], message: string) {
    super(message);
  }
}

/** What the gateway answered, as the stored file or the error it gave. */
export function uploadAnswer(status: number, body: unknown): UploadResult | UploadError {
  if (status >= 200 && status < 300) {
    const ok = UploadResult.safeParse(body);
    return ok.success ? ok.data : new UploadError('E_INTERNAL', 'the upload answer was not a file');
  }
  const err = ErrorBody.safeParse((body as { error?: unknown } | null)?.error);
  return err.success ? new UploadError(err.data.code, err.data.message) : new UploadError('E_INTERNAL', `the upload failed (HTTP ${status})`);
}

/**
 * Sends one file to the app's `/api/files` (which passes it on to the gateway as the signed-in
 * employee). XMLHttpRequest rather than fetch, since only it reports upload progress.
 */
export function uploadFile(file: File, onprogress: (fraction: number) => void, signal?: AbortSignal): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/files?${new URLSearchParams({ name: file.name || 'file' })}`);
    xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => e.lengthComputable && onprogress(e.loaded / e.total);
    xhr.onload = () => {
      const answer = uploadAnswer(xhr.status, xhr.response);
      if (answer instanceof UploadError) reject(answer);
      else resolve(answer);
    };
    xhr.onerror = () => reject(new UploadError('E_UNAVAILABLE', 'the upload was cut off; try again'));
    xhr.onabort = () => reject(new DOMException('cancelled', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

/** Files over `max` bytes, refused before any byte is sent. */
export const tooLarge = (files: readonly File[], max: number): File[] => files.filter((f) => f.size > max);
