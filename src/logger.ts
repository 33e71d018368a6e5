// Structured JSON logs on stdout. Secrets are redacted by path as a second line of defence: the code
// never logs credentials or unredacted connection strings in the first place.
import { pino, stdTimeFunctions, type Logger } from 'pino';
import type { LogLevel } from './config.ts';

export type { Logger };

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'playerfinder' },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: ['password', '*.password', 'headers.authorization', 'headers.cookie', 'credentials'], censor: '[redacted]' },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
