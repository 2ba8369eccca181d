import path from 'node:path';
import { ConfigError, loadConfig } from './config.js';

describe('configuration from the environment (spec §9)', () => {
  it('has the documented defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8000,
      host: '0.0.0.0',
      databaseUrl: null,
      dataDir: path.resolve('./data'),
      storageDriver: 'local',
      s3: null,
      publicUrl: null,
      trustProxy: false,
      corsOrigins: [],
      authTokenExpirationHours: 720,
      defaultStorageQuotaBytes: 1024 ** 3,
      thumbnailMaxBytes: 5 * 1024 ** 2,
      thumbnailMaxDimension: 10000,
      fileMaxBytes: 2 * 1024 ** 3,
      deltafileMaxBytes: 50 * 1024 ** 2,
      maxBodyBytes: 1024 ** 2,
      storageKeepVersions: 3,
      storageOrphanGraceSeconds: 3600,
      maxPageLimit: null,
      rateLimitPerMinute: null,
      loginMaxFailures: 5,
      loginLockoutMinutes: 30,
      adminUsername: null,
      logLevel: 'info',
      worker: true,
      workerConcurrency: 1,
      jobTimeoutSeconds: 600,
      jobMemoryMb: 1000,
      qgisPython: '/usr/bin/python3',
      jobLogRetentionDays: 90,
      jobLeaseSeconds: 30,
    });
  });

  it('reads the worker settings (spec §13)', () => {
    expect(
      loadConfig({
        WORKER: 'false',
        WORKER_CONCURRENCY: '4',
        JOB_TIMEOUT_SECONDS: '30',
        JOB_MEMORY_MB: '2000',
        QGIS_PYTHON: '/opt/qgis/bin/python3',
        JOB_LOG_RETENTION_DAYS: '7',
        JOB_LEASE_SECONDS: '10',
      }),
    ).toMatchObject({
      worker: false,
      workerConcurrency: 4,
      jobTimeoutSeconds: 30,
      jobMemoryMb: 2000,
      qgisPython: '/opt/qgis/bin/python3',
      jobLogRetentionDays: 7,
      jobLeaseSeconds: 10,
    });
    expect(loadConfig({ WORKER: '0' }).worker).toBe(false);
    expect(loadConfig({ WORKER: 'True' }).worker).toBe(true);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['PUBLIC_URL', 'gis.example.com'],
    ['TRUST_PROXY', 'sometimes'],
    ['CORS_ORIGINS', 'not an origin'],
    ['AUTH_TOKEN_EXPIRATION_HOURS', '-1'],
    ['AUTH_TOKEN_EXPIRATION_HOURS', 'abc'],
    ['DEFAULT_STORAGE_QUOTA_BYTES', '1.5'],
    ['MAX_BODY_BYTES', '0'],
    ['MAX_PAGE_LIMIT', '0'],
    ['LOGIN_MAX_FAILURES', 'x'],
    ['LOG_LEVEL', 'loud'],
    ['STORAGE_DRIVER', 'ftp'],
    ['WORKER', 'maybe'],
    ['WORKER_CONCURRENCY', '0'],
    ['WORKER_CONCURRENCY', 'two'],
    ['JOB_TIMEOUT_SECONDS', '0'],
    ['JOB_TIMEOUT_SECONDS', '1.5'],
    ['JOB_MEMORY_MB', '10'],
    ['JOB_LOG_RETENTION_DAYS', '0'],
    ['JOB_LEASE_SECONDS', '1'],
  ])('stops on a bad %s (%s), naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  describe('STORAGE_DRIVER=s3 and S3_*', () => {
    const S3 = { STORAGE_DRIVER: 's3', S3_BUCKET: 'fieldbase-files' };

    it('reads the S3 settings with their defaults', () => {
      expect(loadConfig(S3)).toMatchObject({
        storageDriver: 's3',
        s3: { endpoint: null, bucket: 'fieldbase-files', region: 'us-east-1', accessKeyId: null, secretAccessKey: null, forcePathStyle: false, prefix: '' },
      });
    });

    it('reads every S3 setting', () => {
      const config = loadConfig({
        ...S3,
        S3_ENDPOINT: 'http://minio:9000/',
        S3_REGION: 'eu-central-1',
        S3_ACCESS_KEY_ID: 'key',
        S3_SECRET_ACCESS_KEY: 'secret',
        S3_FORCE_PATH_STYLE: 'true',
        S3_PREFIX: '/fieldbase/prod/',
      });
      expect(config.s3).toEqual({
        endpoint: 'http://minio:9000',
        bucket: 'fieldbase-files',
        region: 'eu-central-1',
        accessKeyId: 'key',
        secretAccessKey: 'secret',
        forcePathStyle: true,
        prefix: 'fieldbase/prod/',
      });
      expect(loadConfig({ ...S3, S3_FORCE_PATH_STYLE: 'FALSE' }).s3?.forcePathStyle).toBe(false);
      expect(loadConfig({ ...S3, S3_FORCE_PATH_STYLE: '1' }).s3?.forcePathStyle).toBe(true);
      expect(loadConfig({ ...S3, S3_PREFIX: 'tenant-a' }).s3?.prefix).toBe('tenant-a/');
    });

    it('has no S3 settings with the local driver', () => {
      expect(loadConfig({ S3_BUCKET: 'fieldbase-files' }).s3).toBeNull();
    });

    it('needs S3_BUCKET when STORAGE_DRIVER is s3', () => {
      expect(() => loadConfig({ STORAGE_DRIVER: 's3' })).toThrow(ConfigError);
      expect(() => loadConfig({ STORAGE_DRIVER: 's3' })).toThrow('S3_BUCKET');
    });

    it('needs S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY together', () => {
      expect(() => loadConfig({ ...S3, S3_ACCESS_KEY_ID: 'key' })).toThrow('S3_SECRET_ACCESS_KEY');
      expect(() => loadConfig({ ...S3, S3_SECRET_ACCESS_KEY: 'secret' })).toThrow('S3_ACCESS_KEY_ID');
    });

    it.each([
      ['S3_ENDPOINT', 'minio:9000'],
      ['S3_ENDPOINT', 'ftp://minio:9000'],
      ['S3_BUCKET', 'Fieldbase_Files'],
      ['S3_BUCKET', 'ab'],
      ['S3_REGION', 'EU Central'],
      ['S3_FORCE_PATH_STYLE', 'maybe'],
      ['S3_PREFIX', 'a//b'],
      ['S3_PREFIX', '../escape'],
    ])('stops on a bad %s (%s), naming the variable, whatever the driver', (name, value) => {
      expect(() => loadConfig({ ...S3, [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ ...S3, [name]: value })).toThrow(name);
      expect(() => loadConfig({ [name]: value })).toThrow(name);
    });
  });

  it('needs ADMIN_USERNAME and ADMIN_PASSWORD together', () => {
    expect(() => loadConfig({ ADMIN_USERNAME: 'root' })).toThrow('ADMIN_PASSWORD');
    expect(() => loadConfig({ ADMIN_PASSWORD: 'long-enough' })).toThrow('ADMIN_USERNAME');
    expect(loadConfig({ ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'long-enough' }).adminUsername).toBe('root');
  });

  it('reads fractions of hours and minutes, and the trust-proxy forms', () => {
    const config = loadConfig({ AUTH_TOKEN_EXPIRATION_HOURS: '0.5', LOGIN_LOCKOUT_MINUTES: '1.5', TRUST_PROXY: 'loopback, 10.0.0.0/8' });
    expect(config.authTokenExpirationHours).toBe(0.5);
    expect(config.loginLockoutMinutes).toBe(1.5);
    expect(config.trustProxy).toBe('loopback, 10.0.0.0/8');
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
  });
});
