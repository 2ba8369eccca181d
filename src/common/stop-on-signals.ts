import type { JsonLogger } from './logger.js';

/**
 * SIGTERM or SIGINT: say what stopping does (`doing`), `close`, then exit 0; a second signal while
 * closing exits at once. Set before the process says it runs: whoever reads that line (a supervisor,
 * a test) may send SIGTERM at once, and without a handler yet it would end the process uncleanly.
 */
export function stopOnSignals(logger: JsonLogger, doing: string, close: () => Promise<void>): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.write('warn', { msg: `${signal} again: exiting now` });
      process.exit(1);
    }
    stopping = true;
    logger.write('info', { msg: `${signal}: ${doing}, then stopping` });
    await close();
    logger.write('info', { msg: 'stopped' });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
