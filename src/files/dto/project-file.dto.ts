import { ApiProperty } from '@nestjs/swagger';
import { isAttachment } from '../file-rules.js';

const MD5SUM =
  'The S3-style ETag, as clients compute it locally: the md5 hex of the content up to 8 MiB; above that, the md5 hex of the concatenated binary md5s of each 8 MiB part, "-" and the number of parts';

export class FileVersionResponse {
  @ApiProperty({ format: 'uuid' }) version_id: string;
  @ApiProperty({ type: 'integer' }) size: number;
  @ApiProperty({ description: MD5SUM }) md5sum: string;
  @ApiProperty() sha256: string;
  @ApiProperty({ format: 'date-time' }) last_modified: string;
}

/** A project file (spec §8): the newest version's facts, and every kept version newest first. */
export class ProjectFileResponse {
  @ApiProperty({ example: 'DCIM/photo-1.jpg' }) name: string;
  @ApiProperty({ type: 'integer' }) size: number;
  @ApiProperty({ description: MD5SUM }) md5sum: string;
  @ApiProperty() sha256: string;
  @ApiProperty({ format: 'date-time' }) last_modified: string;
  @ApiProperty({ description: 'True under DCIM/, the QField attachment folder' }) is_attachment: boolean;
  @ApiProperty({ type: [FileVersionResponse] }) versions: FileVersionResponse[];
}

interface VersionRow {
  version_id: string;
  size: string | number;
  md5sum: string;
  sha256: string;
  last_modified: string;
}

/** A file as FilesRepository reads it: its name and its versions (aggregated as JSON), newest first. */
export interface ProjectFileRow {
  name: string;
  versions: VersionRow[];
}

export function toProjectFileResponse(row: ProjectFileRow): ProjectFileResponse {
  const versions = row.versions.map((v) => ({
    version_id: v.version_id,
    size: Number(v.size),
    md5sum: v.md5sum,
    sha256: v.sha256,
    last_modified: new Date(v.last_modified).toISOString(),
  }));
  const newest = versions[0];
  return {
    name: row.name,
    size: newest.size,
    md5sum: newest.md5sum,
    sha256: newest.sha256,
    last_modified: newest.last_modified,
    is_attachment: isAttachment(row.name),
    versions,
  };
}
