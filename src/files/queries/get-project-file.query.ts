import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { ObjectNotFound, ValidationFailed } from '../../common/errors.js';
import { FileStorage } from '../../storage/file-storage.js';
import type { StoredFile } from '../../storage/send-stored-file.js';
import { isUuid } from '../../common/validation.js';


/** GET /files/{projectId}/{path}/ (spec §8): the newest version, or `?version=<id>`. */
export class GetProjectFileQuery extends Query<StoredFile> {
  constructor(
    readonly projectId: string,
    readonly path: string,
    readonly versionId: string | undefined,
  ) {
    super();
  }
}

@QueryHandler(GetProjectFileQuery)
export class GetProjectFileHandler implements IQueryHandler<GetProjectFileQuery> {
  constructor(
    private readonly db: DataSource,
    private readonly storage: FileStorage,
  ) {}

  async execute({ projectId, path, versionId }: GetProjectFileQuery): Promise<StoredFile> {
    if (versionId !== undefined && !isUuid(versionId)) throw ValidationFailed.field('version', 'Must be a version id (UUID)');
    const [version] = await this.db.query(
      `SELECT v.storage_key, v.size, coalesce(v.etag, v.md5) AS etag FROM project_files f JOIN file_versions v ON v.file_id = f.id
        WHERE f.project_id = $1 AND f.name = $2 AND ($3::uuid IS NULL OR v.id = $3::uuid)
        ORDER BY v.created_at DESC, v.id DESC LIMIT 1`,
      [projectId, path, versionId?.toLowerCase() ?? null],
    );
    if (!version) throw new ObjectNotFound(versionId ? `No version ${versionId} of "${path}"` : `No file "${path}" in this project`);
    return {
      name: path,
      size: Number(version.size),
      etag: `"${version.etag}"`,
      open: (range) => this.storage.get(version.storage_key, range),
    };
  }
}
