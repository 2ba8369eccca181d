import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Inject } from '@nestjs/common';
import { Command, CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { imageSize } from 'image-size';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/config.js';
import { ObjectNotFound, ValidationFailed } from '../../common/errors.js';
import { FileStorage } from '../../storage/file-storage.js';
import { StorageCleaner } from '../../storage/storage-cleaner.js';
import { ProjectsRepository } from '../projects.repository.js';

/** The formats a thumbnail may have, recognised by their first bytes. */
const FORMATS = [
  { type: 'png', contentType: 'image/png', magic: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { type: 'jpg', contentType: 'image/jpeg', magic: Buffer.from([0xff, 0xd8, 0xff]) },
] as const;

/** POST /projects/{id}/thumbnail/ (spec §5.7): a real PNG or JPEG within the size and dimension limits. */
export class UploadProjectThumbnailCommand extends Command<void> {
  constructor(
    readonly projectId: string,
    readonly file: Express.Multer.File | undefined,
  ) {
    super();
  }
}

@CommandHandler(UploadProjectThumbnailCommand)
export class UploadProjectThumbnailHandler implements ICommandHandler<UploadProjectThumbnailCommand> {
  constructor(
    private readonly dataSource: DataSource,
    private readonly projects: ProjectsRepository,
    private readonly storage: FileStorage,
    private readonly cleaner: StorageCleaner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async execute({ projectId, file }: UploadProjectThumbnailCommand): Promise<void> {
    if (!file) throw ValidationFailed.field('thumbnail', 'A file is required in the multipart field "thumbnail"');
    const bytes = file.buffer;
    if (bytes.length > this.config.thumbnailMaxBytes) throw ValidationFailed.field('thumbnail', `Must be at most ${this.config.thumbnailMaxBytes} bytes`);
    const format = FORMATS.find((f) => bytes.subarray(0, f.magic.length).equals(f.magic));
    const size = format ? this.dimensions(bytes) : null;
    if (!format || !size || size.type !== format.type) throw ValidationFailed.field('thumbnail', 'Must be a PNG or JPEG image');
    const max = this.config.thumbnailMaxDimension;
    if (size.width > max || size.height > max)
      throw ValidationFailed.field('thumbnail', `Must be at most ${max}×${max} pixels, got ${size.width}×${size.height}`);

    const key = `thumbnails/${projectId}/${randomUUID()}.${format.type}`;
    await this.storage.put(key, Readable.from([bytes]));
    let previous: string[];
    try {
      previous = await this.dataSource.transaction(async (tx) => {
        const projects = this.projects.withinTx(tx);
        const old = await projects.lockThumbnail(projectId);
        if (!old) throw new ObjectNotFound('No such project'); // deleted since the guard saw it; the catch removes the bytes
        await projects.setThumbnail(projectId, { key, contentType: format.contentType, etag: createHash('md5').update(bytes).digest('hex') });
        const keys = old.thumbnailKey ? [old.thumbnailKey] : [];
        await this.cleaner.queue(tx, keys);
        return keys;
      });
    } catch (error) {
      await this.storage.delete(key);
      throw error;
    }
    await this.cleaner.flush(previous);
  }

  private dimensions(bytes: Buffer): { width: number; height: number; type: string } | null {
    try {
      const { width, height, type } = imageSize(bytes);
      return width && height && type ? { width, height, type } : null;
    } catch {
      return null;
    }
  }
}
