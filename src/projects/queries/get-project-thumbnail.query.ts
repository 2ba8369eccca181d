import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { ObjectNotFound } from '../../common/errors.js';
import { FileStorage } from '../../storage/file-storage.js';
import type { StoredFile } from '../../storage/send-stored-file.js';
import { ProjectsRepository } from '../projects.repository.js';

/** GET /files/thumbnails/{id}/ (spec §5.7): the stored image, its content type and ETag; 404 when there is none. */
export class GetProjectThumbnailQuery extends Query<StoredFile> {
  constructor(readonly projectId: string) {
    super();
  }
}

@QueryHandler(GetProjectThumbnailQuery)
export class GetProjectThumbnailHandler implements IQueryHandler<GetProjectThumbnailQuery> {
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly storage: FileStorage,
  ) {}

  async execute({ projectId }: GetProjectThumbnailQuery): Promise<StoredFile> {
    const thumbnail = await this.projects.findThumbnail(projectId);
    const key = thumbnail?.thumbnailKey;
    if (!key) throw new ObjectNotFound('This project has no thumbnail');
    return {
      contentType: thumbnail.thumbnailContentType!,
      etag: `"${thumbnail.thumbnailEtag}"`,
      open: () => this.storage.get(key),
    };
  }
}
