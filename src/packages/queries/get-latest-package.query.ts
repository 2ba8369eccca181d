import { Query, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { InvalidJob } from '../../common/errors.js';
import { ProjectsRepository } from '../../projects/projects.repository.js';
import type { LatestPackageResponse, PackageFileResponse } from '../dto/package.dto.js';
import { PackagesRepository, type PackageFileRow } from '../packages.repository.js';

/** GET /packages/{projectid}/latest/ (spec §12): the newest finished package job, 400 invalid_job before one. */
export class GetLatestPackageQuery extends Query<LatestPackageResponse> {
  constructor(readonly projectId: string) {
    super();
  }
}

const iso = (date: Date | null) => (date === null ? null : new Date(date).toISOString());

function fileResponse(row: PackageFileRow, isAttachment: boolean): PackageFileResponse {
  return {
    name: row.name,
    size: Number(row.size),
    md5sum: row.md5,
    sha256: row.sha256,
    uploaded_at: iso(row.created_at)!,
    last_modified: iso(row.created_at)!,
    is_attachment: isAttachment,
  };
}

@QueryHandler(GetLatestPackageQuery)
export class GetLatestPackageHandler implements IQueryHandler<GetLatestPackageQuery> {
  constructor(
    private readonly packages: PackagesRepository,
    private readonly projects: ProjectsRepository,
  ) {}

  async execute({ projectId }: GetLatestPackageQuery): Promise<LatestPackageResponse> {
    const latest = await this.packages.latest(projectId);
    if (!latest) throw new InvalidJob();
    const files = await this.packages.files(latest.job_id);
    const attachments = await this.packages.attachments(projectId, await this.projects.attachmentDirs(projectId));
    return {
      files: [...files.map((row) => fileResponse(row, false)), ...attachments.map((row) => fileResponse(row, true))],
      layers: latest.feedback?.outputs?.qgis_layers_data?.layers_by_id ?? {},
      status: latest.status,
      package_id: latest.job_id,
      packaged_at: iso(latest.data_last_packaged_at)!,
      data_last_updated_at: iso(latest.data_last_updated_at),
    };
  }
}
