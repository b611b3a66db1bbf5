import { env } from '$env/dynamic/private';
import { DEFAULT_MAX_UPLOAD_BYTES } from '$schemas';

/** The gateway's upload limit, given to the app in the same variable. */
export function maxUploadBytes(): number {
  const n = Number(env.MCHAT_MAX_UPLOAD_BYTES);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_MAX_UPLOAD_BYTES;
}
