import { Query, QueryBus, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InvalidJob, ObjectNotFound } from '../../common/errors.js';
import { GetProjectFileQuery } from '../../files/queries/get-project-file.query.js';
import { isUnderAttachmentDir } from '../../jobs/job-rules.js';
import { ProjectsRepository } from '../../projects/projects.repository.js';
import { FileStorage } from '../../storage/file-storage.js';
import type { StoredFile } from '../../storage/send-stored-file.js';
import { PackagesRepository } from '../packages.repository.js';

/**
 * GET /packages/{projectid}/latest/files/{path}/ (spec §12): a file of the latest package, else an
 * attachment listed with it, which is served from the project files.
 */
export class GetPackageFileQuery extends Query<StoredFile> {
  constructor(
    readonly projectId: string,
    readonly path: string,
  ) {
    super();
  }
}

@QueryHandler(GetPackageFileQuery)
export class GetPackageFileHandler implements IQueryHandler<GetPackageFileQuery> {
  constructor(
    private readonly projects: ProjectsRepository,
    private readonly packages: PackagesRepository,
    private readonly storage: FileStorage,
    private readonly queries: QueryBus,
  ) {}

  async execute({ projectId, path }: GetPackageFileQuery): Promise<StoredFile> {
    const latest = await this.packages.latest(projectId);
    if (!latest) throw new InvalidJob();
    const file = await this.packages.file(latest.job_id, path);
    if (file) {
      return { name: file.name, size: Number(file.size), etag: `"${file.md5}"`, open: (range) => this.storage.get(file.storage_key, range) };
    }
    if (!isUnderAttachmentDir(path, await this.projects.attachmentDirs(projectId))) throw new ObjectNotFound(`No file "${path}" in the latest package`);
    return this.queries.execute(new GetProjectFileQuery(projectId, path, undefined));
  }
}
