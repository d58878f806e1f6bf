import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';

/** Header and field names whose values never reach a log line. */
const REDACT = [
  'req.headers["x-api-key"]',
  'req.headers["x-ca-root-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers["x-api-key"]',
  'headers["x-ca-root-key"]',
  'headers.authorization',
  '*.api_key',
  '*.apiKey',
  '*.password',
  '*.secret',
  '*.token',
  '*.access_token',
  '*.credential',
  '*.credentials',
  '*.encrypted_credential',
  '*.private_key',
  '*.service_role_key',
  '*.connectionString',
];

/** Values that look like keys or credentials are masked inside error messages and stacks too. */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/\b[a-z0-9_]{3,50}_api_[A-Za-z0-9_-]{16,}/g, '[REDACTED]'],
  [/\bsk_[A-Za-z0-9_-]{16,}/g, '[REDACTED]'],
  [/\bca_root_[A-Za-z0-9_-]{16,}/g, '[REDACTED]'],
  [/(\/\/[^:/\s@]+:)[^@\s]+@/g, '$1[REDACTED]@'],
  [/(Bearer\s+)[A-Za-z0-9._~+/-]+=*/gi, '$1[REDACTED]'],
];

export function scrubSecrets(text: string, extra: string[] = []): string {
  let out = text;
  for (const s of extra) if (s && s.length >= 8) out = out.split(s).join('[REDACTED]');
  for (const [re, replacement] of SECRET_PATTERNS) out = out.replace(re, replacement);
  return out;
}

export interface LoggerOptions {
  level: string;
  /** Literal secrets (the root key) to mask wherever they appear in an error. */
  secrets?: string[];
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const secrets = options.secrets ?? [];
  const errSerializer = (err: unknown) => {
    const base = pino.stdSerializers.err(err as Error);
    return {
      ...base,
      message: scrubSecrets(String(base.message ?? ''), secrets),
      stack: scrubSecrets(String(base.stack ?? ''), secrets),
    };
  };
  return pino(
    {
      level: options.level,
      base: { service: 'finops-api' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[REDACTED]' },
      serializers: { err: errSerializer, error: errSerializer },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

type Level = 'info' | 'error' | 'warn' | 'debug' | 'trace';

/**
 * Nest's own log calls (bootstrap, module init, services' `Logger`) go to the same structured pino
 * logger. Nest appends the logger's context as the last argument; a message may be a string or an
 * object of fields (then the next string is the message), and an error's second string is its stack.
 */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  private emit(level: Level, message: unknown, params: unknown[]): void {
    const rest = [...params];
    const context =
      rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest.pop() as string) : undefined;
    const text = rest.find((p): p is string => typeof p === 'string');
    if (message !== null && typeof message === 'object' && !(message instanceof Error)) {
      this.logger[level]({ context, ...(message as Record<string, unknown>) }, text ?? '');
    } else if (message instanceof Error) {
      this.logger[level]({ context, err: message }, text ?? message.message);
    } else {
      const stack = level === 'error' && text ? scrubSecrets(text) : undefined;
      this.logger[level]({ context, stack }, scrubSecrets(String(message)));
    }
  }

  log(message: unknown, ...params: unknown[]) {
    this.emit('info', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    this.emit('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.emit('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]) {
    this.emit('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.emit('trace', message, params);
  }
}
