import type { Logger } from '@nestjs/common';

/**
 * A round of background work run at start, then every `everyMs`: a round still running when the next
 * is due is not started twice, a failed round is logged and the next one tried, and the timer never
 * holds the process. `stop` waits for the round in progress.
 */
export class Periodic {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    /** What a round does, for the log line of a failed one ("compacting …"). */
    private readonly what: string,
    private readonly everyMs: number,
    private readonly round: () => Promise<unknown>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.runSoon();
    this.timer = setInterval(() => this.runSoon(), this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  private runSoon(): void {
    this.running ??= this.round()
      .then(
        () => undefined,
        (error) => this.logger.warn(`${this.what} failed: ${error}`),
      )
      .finally(() => (this.running = null));
  }
}
