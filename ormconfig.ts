import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './src/database/data-source.js';
import { entities } from './src/entities.js';

/**
 * The DataSource the TypeORM migration CLI uses (built to dist/ormconfig.js; see the README):
 *   DATABASE_URL=postgres://… npx typeorm migration:show -d dist/ormconfig.js
 */
if (!process.env.DATABASE_URL) {
  throw new Error('ormconfig: set DATABASE_URL (while `npm start` runs on the embedded PostgreSQL, `npm run cli -- db-url` prints it)');
}
export default new DataSource(dataSourceOptions(process.env.DATABASE_URL, entities));
