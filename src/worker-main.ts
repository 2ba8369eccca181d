import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { JsonLogger } from './common/logger.js';
import { stopOnSignals } from './common/stop-on-signals.js';
import { ConfigError, loadConfig } from './config/config.js';
import { migrate } from './database/data-source.js';
import { runningEmbeddedPostgresUrl } from './database/embedded-postgres.js';
import { DataSource } from 'typeorm';
import { JobWorker } from './worker/job-worker.service.js';

/**
 * `npm run worker`: a worker-only process (spec §13.1), for running jobs on more cores or machines
 * than the API's. It shares the server's database (DATABASE_URL, or the embedded PostgreSQL of a
 * server running on the same DATA_DIR) and storage, and applies pending migrations at start like it.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = new JsonLogger(config.logLevel);
  const url = config.databaseUrl ?? runningEmbeddedPostgresUrl(config.dataDir);
  if (!url)
    throw new ConfigError(
      'DATABASE_URL',
      `must be set for a worker-only process, unless a Fieldbase server runs with DATA_DIR ${config.dataDir} on this machine`,
    );
  const context = await NestFactory.createApplicationContext(AppModule.forWorker(config, url), { logger, abortOnError: false });
  await migrate(context.get(DataSource));

  // Before the first job and the line that says the worker runs (see stopOnSignals): a SIGTERM right
  // after that line must hand running jobs back.
  stopOnSignals(logger, 'handing running jobs back', () => context.close());

  context.get(JobWorker).start();
  logger.write('info', { msg: 'Fieldbase worker running' });
}

main().catch((error) => {
  if (error instanceof ConfigError) console.error(`fieldbase worker: ${error.message}`);
  else console.error('fieldbase worker: could not start:', error);
  process.exit(1);
});
