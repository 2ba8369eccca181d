import path from 'node:path';

/**
 * Every setting Fieldbase reads, from the environment only (spec §9). `loadConfig` validates all of
 * them at start; a bad value stops the process with a message naming the variable.
 */
export interface AppConfig {
  port: number;
  host: string;
  /** null: start the embedded PostgreSQL under `dataDir`. */
  databaseUrl: string | null;
  dataDir: string;
  /** 0: any free port, chosen at each start. */
  embeddedPgPort: number;
  storageDriver: 'local' | 's3';
  /** The S3 settings when `storageDriver` is 's3', else null. */
  s3: S3Config | null;
  publicUrl: string | null;
  /** Express's trust-proxy setting: false, true, a hop count, or addresses/subnets/presets. */
  trustProxy: boolean | number | string;
  corsOrigins: string[];
  authTokenExpirationHours: number;
  defaultStorageQuotaBytes: number;
  thumbnailMaxBytes: number;
  thumbnailMaxDimension: number;
  fileMaxBytes: number;
  /** The largest delta file a push may carry (spec §11.2). */
  deltafileMaxBytes: number;
  maxBodyBytes: number;
  storageKeepVersions: number;
  /** Stored bytes no row points to are removed by the sweep once they are older than this. */
  storageOrphanGraceSeconds: number;
  maxPageLimit: number | null;
  rateLimitPerMinute: number | null;
  loginMaxFailures: number;
  loginLockoutMinutes: number;
  adminUsername: string | null;
  adminPassword: string | null;
  adminEmail: string | null;
  logLevel: LogLevel;
  /** Run a job worker in this process (spec §13). */
  worker: boolean;
  /** Jobs one worker process runs at once (on different projects). */
  workerConcurrency: number;
  jobTimeoutSeconds: number;
  /** The memory a job's process group may use (resident), in MiB. */
  jobMemoryMb: number;
  /** The Python interpreter that can `import qgis`. */
  qgisPython: string;
  /** A finished job's log (`output`) is cleared after this many days. */
  jobLogRetentionDays: number;
  /** How long a claimed job stays its worker's without a heartbeat before any worker ends it `WORKER_LOST`. */
  jobLeaseSeconds: number;
}

/** S3-compatible object storage (AWS S3, MinIO, …) for STORAGE_DRIVER=s3. */
export interface S3Config {
  /** null: AWS S3 itself, from the region. */
  endpoint: string | null;
  bucket: string;
  region: string;
  /** null (both): the AWS SDK's default credential chain (AWS_* variables, instance or task role, …). */
  accessKeyId: string | null;
  secretAccessKey: string | null;
  /** true: `endpoint/bucket/key` URLs (MinIO and most self-hosted servers); false: `bucket.endpoint/key`. */
  forcePathStyle: boolean;
  /** Put before every storage key: empty, or segments ending in `/` (e.g. `fieldbase/`). */
  prefix: string;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): AppConfig {
  const read = (name: string): string | null => {
    const value = env[name]?.trim();
    return value ? value : null;
  };
  const integer = (name: string, fallback: number, min = 0): number => {
    const raw = read(name);
    if (raw === null) return fallback;
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) < min) {
      throw new ConfigError(name, `must be a whole number of at least ${min}, got "${raw}"`);
    }
    return Number(raw);
  };
  const optionalInteger = (name: string): number | null => (read(name) === null ? null : integer(name, 0, 1));
  const positiveNumber = (name: string, fallback: number): number => {
    const raw = read(name);
    if (raw === null) return fallback;
    const value = Number(raw);
    if (!/^\d*\.?\d+$/.test(raw) || !(value > 0)) throw new ConfigError(name, `must be a positive number, got "${raw}"`);
    return value;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = read(name);
    if (raw === null) return fallback;
    if (!allowed.includes(raw as T)) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
    return raw as T;
  };
  const url = (name: string): string | null => {
    const raw = read(name);
    if (raw === null) return null;
    try {
      const parsed = new URL(raw);
      if (!['http:', 'https:'].includes(parsed.protocol)) throw new Error();
    } catch {
      throw new ConfigError(name, `must be an absolute http(s) URL, got "${raw}"`);
    }
    return raw.replace(/\/+$/, '');
  };
  const databaseUrl = (): string | null => {
    const raw = read('DATABASE_URL');
    if (raw === null) return null;
    try {
      const parsed = new URL(raw);
      if (!['postgres:', 'postgresql:'].includes(parsed.protocol)) throw new Error();
    } catch {
      throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL');
    }
    return raw;
  };
  const trustProxy = (): boolean | number | string => {
    const raw = read('TRUST_PROXY');
    if (raw === null || /^(false|0)$/i.test(raw)) return false;
    if (/^true$/i.test(raw)) return true;
    if (/^\d+$/.test(raw)) return Number(raw);
    const valid = raw.split(',').every((part) => /^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)$/.test(part.trim()));
    if (!valid) throw new ConfigError('TRUST_PROXY', `must be true/false, a hop count, or addresses/subnets (Express trust-proxy syntax), got "${raw}"`);
    return raw;
  };
  const corsOrigins = (): string[] => {
    const raw = read('CORS_ORIGINS');
    if (raw === null) return [];
    return raw
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean)
      .map((origin) => {
        if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
          throw new ConfigError('CORS_ORIGINS', `must be a comma-separated list of origins like https://app.example.com, got "${origin}"`);
        }
        return origin;
      });
  };
  const adminUsername = read('ADMIN_USERNAME');
  const adminPassword = read('ADMIN_PASSWORD');
  if ((adminUsername === null) !== (adminPassword === null)) {
    throw new ConfigError(
      adminUsername === null ? 'ADMIN_USERNAME' : 'ADMIN_PASSWORD',
      'must be set together with ' + (adminUsername === null ? 'ADMIN_PASSWORD' : 'ADMIN_USERNAME'),
    );
  }
  if (adminPassword !== null && adminPassword.length < 8) throw new ConfigError('ADMIN_PASSWORD', 'must be at least 8 characters');

  const boolean = (name: string, fallback: boolean): boolean => {
    const raw = read(name);
    if (raw === null) return fallback;
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    throw new ConfigError(name, `must be true or false, got "${raw}"`);
  };
  const s3 = (required: boolean): S3Config | null => {
    // Set values are checked whatever the driver, so a typo shows before the switch to s3.
    const endpoint = url('S3_ENDPOINT');
    const bucket = read('S3_BUCKET');
    if (bucket !== null && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new ConfigError(
        'S3_BUCKET',
        `must be a bucket name (3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit), got "${bucket}"`,
      );
    }
    const region = read('S3_REGION') ?? 'us-east-1';
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(region)) throw new ConfigError('S3_REGION', `must be a region name like us-east-1, got "${region}"`);
    const accessKeyId = read('S3_ACCESS_KEY_ID');
    const secretAccessKey = read('S3_SECRET_ACCESS_KEY');
    if ((accessKeyId === null) !== (secretAccessKey === null)) {
      throw new ConfigError(
        accessKeyId === null ? 'S3_ACCESS_KEY_ID' : 'S3_SECRET_ACCESS_KEY',
        'must be set together with ' + (accessKeyId === null ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID'),
      );
    }
    const forcePathStyle = boolean('S3_FORCE_PATH_STYLE', false);
    const rawPrefix = read('S3_PREFIX');
    let prefix = '';
    if (rawPrefix !== null) {
      const segments = rawPrefix.replace(/^\/+|\/+$/g, '').split('/');
      // eslint-disable-next-line no-control-regex -- control characters are exactly what this refuses
      if (segments.some((segment) => segment === '' || segment === '.' || segment === '..' || /[\\\x00-\x1f]/.test(segment))) {
        throw new ConfigError(
          'S3_PREFIX',
          `must be path segments separated by "/" (no empty, "." or ".." segment, no backslash or control character), got "${rawPrefix}"`,
        );
      }
      prefix = segments.join('/') + '/';
    }
    if (!required) return null;
    if (bucket === null) throw new ConfigError('S3_BUCKET', 'must be set when STORAGE_DRIVER is s3');
    return { endpoint, bucket, region, accessKeyId, secretAccessKey, forcePathStyle, prefix };
  };

  const storageDriver = oneOf('STORAGE_DRIVER', ['local', 's3'] as const, 'local');
  const s3Config = s3(storageDriver === 's3');

  const port = integer('PORT', 8000);
  if (port > 65535) throw new ConfigError('PORT', `must be at most 65535, got "${port}"`);
  const embeddedPgPort = integer('EMBEDDED_PG_PORT', 0);
  if (embeddedPgPort > 65535) throw new ConfigError('EMBEDDED_PG_PORT', `must be at most 65535, got "${embeddedPgPort}"`);

  return Object.freeze({
    port,
    host: read('HOST') ?? '0.0.0.0',
    databaseUrl: databaseUrl(),
    dataDir: path.resolve(read('DATA_DIR') ?? './data'),
    embeddedPgPort,
    storageDriver,
    s3: s3Config ? Object.freeze(s3Config) : null,
    publicUrl: url('PUBLIC_URL'),
    trustProxy: trustProxy(),
    corsOrigins: corsOrigins(),
    authTokenExpirationHours: positiveNumber('AUTH_TOKEN_EXPIRATION_HOURS', 720),
    defaultStorageQuotaBytes: integer('DEFAULT_STORAGE_QUOTA_BYTES', 1024 ** 3),
    thumbnailMaxBytes: integer('THUMBNAIL_MAX_BYTES', 5 * 1024 ** 2, 1),
    thumbnailMaxDimension: integer('THUMBNAIL_MAX_DIMENSION', 10000, 1),
    fileMaxBytes: integer('FILE_MAX_BYTES', 2 * 1024 ** 3, 1),
    deltafileMaxBytes: integer('DELTAFILE_MAX_BYTES', 50 * 1024 ** 2, 1),
    maxBodyBytes: integer('MAX_BODY_BYTES', 1024 ** 2, 1),
    storageKeepVersions: integer('STORAGE_KEEP_VERSIONS', 3, 1),
    storageOrphanGraceSeconds: integer('STORAGE_ORPHAN_GRACE_SECONDS', 3600),
    maxPageLimit: optionalInteger('MAX_PAGE_LIMIT'),
    rateLimitPerMinute: optionalInteger('RATE_LIMIT_PER_MINUTE'),
    loginMaxFailures: integer('LOGIN_MAX_FAILURES', 5, 1),
    loginLockoutMinutes: positiveNumber('LOGIN_LOCKOUT_MINUTES', 30),
    adminUsername,
    adminPassword,
    adminEmail: read('ADMIN_EMAIL'),
    logLevel: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    worker: boolean('WORKER', true),
    workerConcurrency: integer('WORKER_CONCURRENCY', 1, 1),
    jobTimeoutSeconds: integer('JOB_TIMEOUT_SECONDS', 600, 1),
    jobMemoryMb: integer('JOB_MEMORY_MB', 1000, 64),
    qgisPython: read('QGIS_PYTHON') ?? '/usr/bin/python3',
    jobLogRetentionDays: integer('JOB_LOG_RETENTION_DAYS', 90, 1),
    jobLeaseSeconds: integer('JOB_LEASE_SECONDS', 30, 2),
  });
}

/** The Nest injection token for the AppConfig object. */
export const APP_CONFIG = Symbol('AppConfig');
