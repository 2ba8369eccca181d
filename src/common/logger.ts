import type { LoggerService } from '@nestjs/common';
import { LOG_LEVELS, type LogLevel } from '../config/config.js';

const NEST_STARTUP_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** One JSON object per line on stdout, for the app's own messages and Nest's. */
export class JsonLogger implements LoggerService {
  private readonly threshold: number;

  constructor(level: LogLevel) {
    this.threshold = LOG_LEVELS.indexOf(level);
  }

  get silent(): boolean {
    return LOG_LEVELS[this.threshold] === 'silent';
  }

  /** Whether lines of `level` are written: callers skip gathering what would not be logged. */
  writes(level: Exclude<LogLevel, 'silent'>): boolean {
    return LOG_LEVELS.indexOf(level) >= this.threshold;
  }

  write(level: Exclude<LogLevel, 'silent'>, fields: Record<string, unknown>): void {
    if (!this.writes(level)) return;
    process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level, ...fields }) + '\n');
  }

  log(message: unknown, context?: string): void {
    // Nest's own start-up chatter (modules loaded, routes mapped) is debug detail, not news.
    this.write(context && NEST_STARTUP_CONTEXTS.has(context) ? 'debug' : 'info', {
      msg: String(message),
      context: typeof context === 'string' ? context : undefined,
    });
  }
  error(message: unknown, ...rest: unknown[]): void {
    const stack = rest.find((r) => typeof r === 'string' && r.includes('\n    at '));
    this.write('error', { msg: String(message), stack });
  }
  warn(message: unknown, context?: string): void {
    this.write('warn', { msg: String(message), context: typeof context === 'string' ? context : undefined });
  }
  debug(message: unknown, context?: string): void {
    this.write('debug', { msg: String(message), context: typeof context === 'string' ? context : undefined });
  }
  verbose(message: unknown, context?: string): void {
    this.debug(message, context);
  }
}
