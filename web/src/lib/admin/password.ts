/** Letters and digits that cannot be mistaken for one another when read out or copied by hand. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A random password for an admin to hand on: `length` characters from ALPHABET, each equally likely. */
export function generatePassword(length = 16): string {
  const out: string[] = [];
  // Bytes at or above the largest multiple of the alphabet's size would favour its first letters.
  const limit = 256 - (256 % ALPHABET.length);
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < limit && out.length < length) out.push(ALPHABET[byte % ALPHABET.length]!);
    }
  }
  return out.join('');
}
