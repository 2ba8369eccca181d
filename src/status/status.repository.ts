import { Injectable } from '@nestjs/common';
import { selectOne, SqlRepository } from '../database/sql.js';

/** What GET /status/ asks the database. */
@Injectable()
export class StatusRepository extends SqlRepository {
  /** Resolves when the database answers a trivial statement; rejects otherwise. */
  async ping(): Promise<void> {
    await selectOne(this.db, 'SELECT 1');
  }
}
