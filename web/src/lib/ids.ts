/** `bytes` random bytes as hex, from the Web Crypto API that browsers and Node both have. */
export function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
}
