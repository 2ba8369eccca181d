import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config/config.js';

describe('configuration from the environment (spec §9)', () => {
  it('has the documented defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8000,
      host: '0.0.0.0',
      databaseUrl: null,
      dataDir: path.resolve('./data'),
      storageDriver: 'local',
      publicUrl: null,
      trustProxy: false,
      corsOrigins: [],
      authTokenExpirationHours: 720,
      defaultStorageQuotaBytes: 1024 ** 3,
      thumbnailMaxBytes: 5 * 1024 ** 2,
      thumbnailMaxDimension: 10000,
      fileMaxBytes: 2 * 1024 ** 3,
      maxBodyBytes: 1024 ** 2,
      storageKeepVersions: 3,
      maxPageLimit: null,
      rateLimitPerMinute: null,
      loginMaxFailures: 5,
      loginLockoutMinutes: 30,
      adminUsername: null,
      logLevel: 'info',
    });
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
  ])('stops on a bad %s (%s), naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
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
