import 'reflect-metadata';
import { createApp } from './app.factory.js';
import { ConfigError, loadConfig } from './config/config.js';
import { EmbeddedPostgresError } from './database/embedded-postgres.js';

async function main(): Promise<void> {
  const startedAt = Date.now();
  const config = loadConfig();
  const fieldbase = await createApp(config);

  // Before listening and before the line that says so: whoever sees that line may send SIGTERM at once
  // (a supervisor, a test), and without a handler yet it would end the process uncleanly.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      fieldbase.logger.write('warn', { msg: `${signal} again: exiting now` });
      process.exit(1);
    }
    stopping = true;
    fieldbase.logger.write('info', { msg: `${signal}: finishing in-flight requests, then stopping` });
    await fieldbase.close();
    fieldbase.logger.write('info', { msg: 'stopped' });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  await fieldbase.app.listen(config.port, config.host);
  fieldbase.logger.write('info', { msg: `Fieldbase listening on http://${config.host}:${config.port}/api/v1/`, startup_ms: Date.now() - startedAt });
}

main().catch((error) => {
  if (error instanceof ConfigError || error instanceof EmbeddedPostgresError) {
    console.error(`fieldbase: ${error.message}`);
  } else {
    console.error('fieldbase: could not start:', error);
  }
  process.exit(1);
});
