import { ApiProperty } from '@nestjs/swagger';

/** A file of the latest package (spec §12): a package file, or an attachment from the project files. */
export class PackageFileResponse {
  @ApiProperty({ example: 'data.gpkg' }) name: string;
  @ApiProperty({ type: 'integer' }) size: number;
  @ApiProperty({ description: 'S3-style md5 (spec §8): md5 hex up to 8 MiB, else md5 of the 8 MiB parts\' md5s, "-", the part count' }) md5sum: string;
  @ApiProperty() sha256: string;
  @ApiProperty({ format: 'date-time' }) uploaded_at: string;
  @ApiProperty({ format: 'date-time' }) last_modified: string;
  @ApiProperty({ description: 'True for attachments (served from the project files)' }) is_attachment: boolean;
}

/** GET /packages/{projectid}/latest/ (spec §12). */
export class LatestPackageResponse {
  @ApiProperty({ type: [PackageFileResponse] }) files: PackageFileResponse[];
  @ApiProperty({ type: 'object', additionalProperties: true, description: "The packaged project's layers by id (spec §10.4 layers_by_id)" }) layers: Record<
    string,
    unknown
  >;
  @ApiProperty({ enum: ['finished'], description: "The package job's status" }) status: string;
  @ApiProperty({ format: 'uuid', description: "The package job's id" }) package_id: string;
  @ApiProperty({ format: 'date-time', description: "The project's data_last_packaged_at" }) packaged_at: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) data_last_updated_at: string | null;
}
