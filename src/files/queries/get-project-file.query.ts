import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { ObjectNotFound, ValidationFailed } from '../../common/errors.js';
import { FileStorage } from '../../storage/file-storage.js';
import type { StoredFile } from '../../storage/send-stored-file.js';
import { isUuid } from '../../common/validation.js';
import { FilesRepository } from '../files.repository.js';

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
    private readonly files: FilesRepository,
    private readonly storage: FileStorage,
  ) {}

  async execute({ projectId, path, versionId }: GetProjectFileQuery): Promise<StoredFile> {
    if (versionId !== undefined && !isUuid(versionId)) throw ValidationFailed.field('version', 'Must be a version id (UUID)');
    const version = await this.files.findVersion(projectId, path, versionId?.toLowerCase() ?? null);
    if (!version) throw new ObjectNotFound(versionId ? `No version ${versionId} of "${path}"` : `No file "${path}" in this project`);
    return {
      name: path,
      size: Number(version.size),
      etag: `"${version.etag}"`,
      open: (range) => this.storage.get(version.storage_key, range),
    };
  }
}
