import 'reflect-metadata';
import { createApp } from './app.factory.js';
import { stopOnSignals } from './common/stop-on-signals.js';
import { ConfigError, loadConfig } from './config/config.js';
import { EmbeddedPostgresError } from './database/embedded-postgres.js';

async function main(): Promise<void> {
  const startedAt = Date.now();
  const config = loadConfig();
  const fieldbase = await createApp(config);

  // Before listening and before the line that says so (see stopOnSignals).
  stopOnSignals(fieldbase.logger, 'finishing in-flight requests', () => fieldbase.close());

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
