import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, PinoNestLogger } from './logger.js';

/** A Nest Logger of `context` writing through PinoNestLogger; its lines, parsed. */
function nestLogger(context: string): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const pinoLogger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  Logger.overrideLogger(new PinoNestLogger(pinoLogger));
  return { logger: new Logger(context), lines };
}

afterEach(() => Logger.overrideLogger(false));

describe('PinoNestLogger', () => {
  it("logs an Error passed after the message as err, masked, with the line's context", () => {
    const { logger, lines } = nestLogger('CostImport');
    const reason = new Error('connect ECONNREFUSED 10.0.0.9:443 (key sk-proj-abcdefghijklmnopqrstuvwx)');
    logger.error('Cost import 42: swap failed and its outcome could not be read', reason);
    logger.warn('Redis publish failed; retrying', new TypeError('socket closed'));
    expect(lines[0]).toMatchObject({
      severity: 'ERROR',
      context: 'CostImport',
      message: 'Cost import 42: swap failed and its outcome could not be read',
      err: { type: 'Error', message: 'connect ECONNREFUSED 10.0.0.9:443 (key [REDACTED])' },
    });
    expect(JSON.stringify(lines[0])).not.toContain('sk-proj-abcdefghijklmnopqrstuvwx');
    expect(lines[1]).toMatchObject({
      severity: 'WARNING',
      context: 'CostImport',
      err: { type: 'TypeError', message: 'socket closed' },
    });
  });

  it("keeps an error's stack passed as text, and a line without an error has no err", () => {
    const { logger, lines } = nestLogger('Boot');
    logger.error('with stack', 'Error: x\n    at y');
    logger.log('plain');
    expect(lines[0]).toMatchObject({ message: 'with stack', stack: 'Error: x\n    at y', context: 'Boot' });
    expect(lines[0]).not.toHaveProperty('err');
    expect(lines[1]).toMatchObject({ message: 'plain', context: 'Boot' });
    expect(lines[1]).not.toHaveProperty('err');
  });

  it("masks a key in the line's message when an Error is the message (Nest's ExceptionHandler), or beside fields", () => {
    const { logger, lines } = nestLogger('ExceptionHandler');
    const key = 'acme_corp_api_abcdefghijklmnopqrstuvwxyz012345';
    // What Nest's ExceptionHandler does with an error a start-up hook threw: logger.error(err).
    logger.error(new Error(`onboarding the demo org with ${key} failed`));
    logger.warn({ table: 'org_api_keys' }, `sync failed for ${key}`);
    expect(lines[0]).toMatchObject({
      message: 'onboarding the demo org with [REDACTED] failed',
      err: { message: 'onboarding the demo org with [REDACTED] failed' },
    });
    expect(lines[1]).toMatchObject({ message: 'sync failed for [REDACTED]', table: 'org_api_keys' });
    expect(JSON.stringify(lines)).not.toContain(key);
  });
});
