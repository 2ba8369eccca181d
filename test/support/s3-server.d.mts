export declare const S3RVER_CREDENTIALS: { accessKeyId: string; secretAccessKey: string };

export interface TestS3Server {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Where s3rver keeps the buckets' objects. */
  directory: string;
  /** The s3rver child process. */
  pid: number;
  close(): Promise<void>;
}

export declare function startS3Server(): Promise<TestS3Server>;
