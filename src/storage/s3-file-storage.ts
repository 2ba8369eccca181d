import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { OnApplicationShutdown } from '@nestjs/common';
import { Readable } from 'node:stream';
import type { S3Config } from '../config/config.js';
import { FileStorage, type ByteRange, type StoredObject } from './file-storage.js';

export interface S3FileStorageOptions {
  /** Bytes per multipart part (at least 5 MiB, S3's minimum); a body up to this size is one PutObject. */
  partSize?: number;
  /** Parts uploaded at once; with `partSize`, bounds what one upload holds in memory (≈ partSize × (queueSize + 1)). */
  queueSize?: number;
  /** MaxKeys of each ListObjectsV2 page (S3 answers at most 1000). */
  listPageSize?: number;
}

const MIB = 1024 * 1024;

/** S3 client settings from the configuration; the tests use it for the buckets they create. */
export function s3ClientConfig(config: S3Config): S3ClientConfig {
  return {
    region: config.region,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.forcePathStyle,
    ...(config.accessKeyId && config.secretAccessKey ? { credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey } } : {}),
    // Checksums only where S3 requires them: with the SDK's default (WHEN_SUPPORTED) streamed bodies go
    // out aws-chunked with trailing checksums, which s3rver and older MinIO versions store corrupted.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/**
 * Objects in one bucket of S3-compatible storage, under the configured key prefix. Uploads stream
 * through @aws-sdk/lib-storage: a body larger than one part becomes a multipart upload, so at most a
 * few parts are in memory at once, and a body whose stream fails is aborted, so nothing appears at
 * its key (an object becomes visible only when its upload completes).
 */
export class S3FileStorage extends FileStorage implements OnApplicationShutdown {
  readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly listPageSize: number;

  constructor(config: S3Config, options: S3FileStorageOptions = {}) {
    super();
    this.client = new S3Client(s3ClientConfig(config));
    this.bucket = config.bucket;
    this.prefix = config.prefix;
    this.partSize = Math.max(options.partSize ?? 5 * MIB, 5 * MIB);
    this.queueSize = options.queueSize ?? 4;
    this.listPageSize = options.listPageSize ?? 1000;
  }

  /** What one upload holds in memory at most: the parts being sent and the one being filled. */
  get bytesHeldPerUpload(): number {
    return this.partSize * (this.queueSize + 1);
  }

  /** The object key of a storage key; refuses keys that the local driver would refuse too. */
  private objectKey(key: string): string {
    if (!key || key.startsWith('/') || key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
      throw new Error(`invalid storage key: ${key}`);
    }
    return this.prefix + key;
  }

  async put(key: string, content: Readable): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.objectKey(key), Body: content },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false, // a failed multipart upload is aborted, its parts removed
    });
    let sourceError: unknown = null;
    const onSourceError = (error: unknown) => (sourceError ??= error);
    content.on('error', onSourceError);
    try {
      await upload.done();
    } catch (error) {
      // As pipeline() does for the local driver: the source is not left paused half-read.
      if (!content.destroyed) content.destroy();
      // The source's failure is the cause; lib-storage may report its abort request instead (a
      // server without AbortMultipartUpload, such as s3rver). A multipart upload that could not be
      // aborted is invisible but keeps its parts: see docs/configuration.md on lifecycle rules.
      throw sourceError ?? error;
    } finally {
      content.off('error', onSourceError);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const response = await this.client.send(
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: this.objectKey(key),
        ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
      }),
    );
    const body = response.Body;
    if (!body) throw new Error(`storage returned no body for ${key}`);
    // In Node the SDK's body is an http.IncomingMessage (a Readable) with helper methods mixed in.
    return body instanceof Readable ? body : Readable.fromWeb(body.transformToWebStream() as Parameters<typeof Readable.fromWeb>[0]);
  }

  async delete(key: string): Promise<void> {
    // S3 answers 204 for a key that does not exist.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + prefix,
          MaxKeys: this.listPageSize,
          ContinuationToken: continuationToken,
        }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key?.startsWith(this.prefix)) continue;
        yield { key: object.Key.slice(this.prefix.length), size: object.Size ?? 0, modifiedAt: object.LastModified ?? new Date(0) };
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
  }

  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  onApplicationShutdown(): void {
    this.client.destroy();
  }
}
