import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { ObjectNotFound } from '../../common/errors.js';
import { FileStorage } from '../../storage/file-storage.js';
import type { StoredFile } from '../../storage/send-stored-file.js';

/** GET /files/thumbnails/{id}/ (spec §5.7): the stored image, its content type and ETag; 404 when there is none. */
export class GetProjectThumbnailQuery extends Query<StoredFile> {
  constructor(readonly projectId: string) {
    super();
  }
}

@QueryHandler(GetProjectThumbnailQuery)
export class GetProjectThumbnailHandler implements IQueryHandler<GetProjectThumbnailQuery> {
  constructor(
    private readonly db: DataSource,
    private readonly storage: FileStorage,
  ) {}

  async execute({ projectId }: GetProjectThumbnailQuery): Promise<StoredFile> {
    const [row] = await this.db.query(`SELECT thumbnail_key, thumbnail_content_type, thumbnail_etag FROM projects WHERE id = $1`, [projectId]);
    if (!row?.thumbnail_key) throw new ObjectNotFound('This project has no thumbnail');
    return {
      contentType: row.thumbnail_content_type,
      etag: `"${row.thumbnail_etag}"`,
      open: () => this.storage.get(row.thumbnail_key),
    };
  }
}
