import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON logs on stdout; never pass passwords or tokens (redacted anyway as a second line of defence). */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: { paths: ['password', '*.password', 'token', '*.token', 'secret', '*.secret'], censor: '[redacted]' },
  });
}
