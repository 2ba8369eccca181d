import type { Logger } from '@nestjs/common';
import { Periodic } from './periodic.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Periodic (background rounds)', () => {
  const warnings: string[] = [];
  const logger = { warn: (message: string) => warnings.push(message) } as unknown as Logger;
  beforeEach(() => (warnings.length = 0));

  it('runs a round at start, then one per interval, never two at once; stop waits for the round in progress', async () => {
    let running = 0;
    let mostAtOnce = 0;
    let rounds = 0;
    let finished = 0;
    const periodic = new Periodic(
      'a slow round',
      20,
      async () => {
        rounds++;
        mostAtOnce = Math.max(mostAtOnce, ++running);
        await sleep(70); // three intervals pass meanwhile
        running--;
        finished++;
      },
      logger,
    );
    periodic.start();
    expect(rounds).toBe(1);
    await sleep(200);
    expect(mostAtOnce).toBe(1);
    expect(rounds).toBeGreaterThanOrEqual(2);
    await periodic.stop();
    expect(finished).toBe(rounds); // the round under way when stop came has ended
    await sleep(60);
    expect(rounds).toBe(finished); // and none started after
  });

  it('logs a failed round and runs the next one', async () => {
    let rounds = 0;
    const periodic = new Periodic(
      'counting',
      10,
      async () => {
        if (++rounds === 1) throw new Error('database gone');
      },
      logger,
    );
    periodic.start();
    await sleep(150);
    await periodic.stop();
    expect(warnings[0]).toBe('counting failed: Error: database gone');
    expect(rounds).toBeGreaterThanOrEqual(2);
  });
});
