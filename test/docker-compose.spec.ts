import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { loadConfig } from '../src/config/config.js';
import { checkNginxConfig, Nginx } from './support/nginx.js';

/**
 * docker-compose.yml and deploy/nginx.conf as docs/deploy.md describes them: two app instances on one
 * PostgreSQL and one MinIO bucket behind nginx, and a worker with QGIS (docs/worker.md). No Docker engine exists here, so the file is checked
 * as data, the app's part of it through the app's own configuration loader, and nginx's part by nginx.
 */
const ROOT = path.resolve('.');
const composeText = fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
const nginxConfText = fs.readFileSync(path.join(ROOT, 'deploy/nginx.conf'), 'utf8');
const deployDoc = fs.readFileSync(path.join(ROOT, 'docs/deploy.md'), 'utf8');
const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

interface Service {
  image?: string;
  build?: string | { context: string; target?: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: string[] | Record<string, { condition: string }>;
  ports?: string[];
  volumes?: string[];
  entrypoint?: string[];
}

/** Compose's variable syntax: `${NAME:-default}`, `${NAME:?error}`, `${NAME}`, `$$`; values from `env`. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\{(\w+)(?::([-?])([^}]*))?\}/g, (match, name: string | undefined, kind: string | undefined, operand: string) => {
    if (match === '$$') return '$';
    const given = env[name!];
    if (given) return given;
    if (kind === '?') throw new Error(`${name} must be set: ${operand}`);
    return kind === '-' ? operand : '';
  });
}

/** The upstream blocks of an nginx configuration: name → its `server host:port` entries. */
function upstreams(conf: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const [, name, body] of conf.replace(/#.*$/gm, '').matchAll(/upstream\s+(\S+)\s*\{([^}]*)\}/g)) {
    found.set(
      name,
      [...body.matchAll(/^\s*server\s+([^\s;]+)/gm)].map((match) => match[1]),
    );
  }
  return found;
}

describe('docker-compose.yml', () => {
  const document = parseDocument(composeText, { merge: true });
  const compose = document.toJS() as { services: Record<string, Service>; volumes: Record<string, unknown> };
  const services = compose.services;
  const built = Object.keys(services).filter((name) => services[name].build !== undefined);
  const apps = built.filter((name) => name !== 'worker');
  const dependencies = (service: Service) => (Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {}));

  it('is valid YAML with the services of docs/deploy.md: two app instances, a worker, PostgreSQL, MinIO and nginx', () => {
    expect(document.errors).toEqual([]);
    expect(document.warnings).toEqual([]);
    expect(Object.keys(services).sort()).toEqual(['app1', 'app2', 'db', 'minio', 'minio-bucket', 'nginx', 'worker']);
    expect(built.sort()).toEqual(['app1', 'app2', 'worker']);
    expect(services.db.image).toMatch(/^postgres:/);
    expect(services.minio.image).toMatch(/^minio\/minio/);
    expect(services.nginx.image).toMatch(/^nginx:/);
    for (const service of Object.values(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0];
        if (!source.startsWith('.')) expect(Object.keys(compose.volumes)).toContain(source);
      }
    }
  });

  it('gives both instances the same database, storage and proxy settings', () => {
    const [first, second] = apps.map((name) => services[name].environment!);
    const shared = [
      'DATABASE_URL',
      'STORAGE_DRIVER',
      'S3_ENDPOINT',
      'S3_BUCKET',
      'S3_REGION',
      'S3_ACCESS_KEY_ID',
      'S3_SECRET_ACCESS_KEY',
      'S3_FORCE_PATH_STYLE',
      'TRUST_PROXY',
      'PUBLIC_URL',
    ];
    for (const name of shared) expect([name, first[name]]).toEqual([name, second[name]]);
    expect(first.STORAGE_DRIVER).toBe('s3');
    expect(first.TRUST_PROXY).toBeTruthy();
    // The same shared volume, so that STORAGE_DRIVER=local would share files too.
    expect(services.app1.volumes).toEqual(services.app2.volumes);
  });

  it('configures each instance as the app accepts it, on the database and bucket the other services provide', () => {
    for (const name of apps) {
      const environment = Object.fromEntries(
        Object.entries(services[name].environment!).map(([key, value]) => [key, interpolate(String(value), { ADMIN_PASSWORD: 'compose-admin-password' })]),
      );
      const config = loadConfig(environment);
      expect(new URL(config.databaseUrl!).hostname).toBe('db');
      expect(new URL(config.databaseUrl!).username).toBe(services.db.environment!.POSTGRES_USER);
      expect(new URL(config.databaseUrl!).pathname).toBe(`/${services.db.environment!.POSTGRES_DB}`);
      expect(new URL(config.s3!.endpoint!).hostname).toBe('minio');
      // The bucket the minio-bucket service creates, with MinIO's root credentials.
      expect(services['minio-bucket'].entrypoint!.join('\n')).toContain(`mc mb --ignore-existing local/${config.s3!.bucket}`);
      expect(config.s3!.accessKeyId).toBe(interpolate(services.minio.environment!.MINIO_ROOT_USER, {}));
      expect(config.s3!.secretAccessKey).toBe(interpolate(services.minio.environment!.MINIO_ROOT_PASSWORD, {}));
      expect(config.trustProxy).not.toBe(false);
      expect(dependencies(services[name]).sort()).toEqual(['db', 'minio-bucket']);
      // Only nginx is reachable from outside: a client reaching an instance directly could pass as the proxy.
      expect(services[name].ports).toBeUndefined();
    }
    expect(() => interpolate(services.app1.environment!.ADMIN_PASSWORD, {})).toThrow('ADMIN_PASSWORD must be set');
  });

  it("runs the jobs in a worker service on the Dockerfile's QGIS stage, and none in the API instances", () => {
    const worker = services.worker;
    expect(worker.build).toEqual({ context: '.', target: 'worker' });
    expect(worker.command).toEqual(['npm', 'run', 'worker']);
    // The same database and storage as the instances whose jobs it runs; reachable by nobody.
    const shared = [
      'DATABASE_URL',
      'STORAGE_DRIVER',
      'S3_ENDPOINT',
      'S3_BUCKET',
      'S3_REGION',
      'S3_ACCESS_KEY_ID',
      'S3_SECRET_ACCESS_KEY',
      'S3_FORCE_PATH_STYLE',
    ];
    for (const name of shared) expect([name, worker.environment![name]]).toEqual([name, services.app1.environment![name]]);
    const environment = (name: string) =>
      loadConfig(
        Object.fromEntries(
          Object.entries(services[name].environment!).map(([key, value]) => [key, interpolate(String(value), { ADMIN_PASSWORD: 'compose-admin-password' })]),
        ),
      );
    expect(environment('worker').qgisPython).toBe('/usr/bin/python3');
    expect(dependencies(worker).sort()).toEqual(['db', 'minio-bucket']);
    expect(worker.ports).toBeUndefined();
    for (const name of apps) expect([name, environment(name).worker]).toEqual([name, false]);
    // The image holds the built code only: the script must run it from dist/.
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.worker).toMatch(/^node dist\/src\/\S+\.js$/);
  });

  it('builds the worker stage as Node 20 on Debian bookworm with python3-qgis and qgis-providers, and the API image by default', () => {
    const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?\s*$/gim)].map((match) => ({ image: match[1], name: match[2], at: match.index! }));
    const worker = stages.find((stage) => stage.name === 'worker')!;
    expect(worker.image).toBe('node:20-bookworm-slim');
    const body = dockerfile.slice(worker.at, stages[stages.indexOf(worker) + 1]?.at);
    expect(body).toMatch(/apt-get install -y --no-install-recommends python3-qgis qgis-providers/);
    expect(body).toMatch(/^COPY qgis \.\/qgis$/m);
    expect(body).toMatch(/^CMD \["npm", "run", "worker"\]$/m);
    // `build: .` (the API instances) builds the last stage, which is not the worker.
    expect(stages.at(-1)!.name).toBeUndefined();
    expect(dockerfile.slice(stages.at(-1)!.at)).not.toContain('qgis');
  });

  it('puts nginx with deploy/nginx.conf in front, proxying to both instances', () => {
    const nginx = services.nginx;
    expect(nginx.volumes).toContain('./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro');
    expect(nginx.ports).toHaveLength(1);
    expect(dependencies(nginx).sort()).toEqual(apps);

    const blocks = upstreams(nginxConfText);
    expect([...blocks.keys()]).toEqual(['fieldbase']);
    expect(blocks.get('fieldbase')!.sort()).toEqual(apps.map((name) => `${name}:8000`));
    expect(nginxConfText).toMatch(/proxy_pass\s+http:\/\/fieldbase\b/);
  });
});

describe('deploy/nginx.conf', () => {
  /**
   * The configuration with what exists only inside Docker replaced: the compose service names (which
   * resolve only there) and the image's log file (a link to its stdout there).
   */
  const runnable = (listen: string, instances: string[]) =>
    nginxConfText
      .replace(/^(\s*listen\s+)80;/m, `$1${listen};`)
      .replace(/^(\s*server\s+)app(\d+):8000;/gm, (_, prefix, n) => `${prefix}${instances[Number(n) - 1]};`)
      .replace('/var/log/nginx/access.log', '/dev/null');

  it('passes nginx -t', () => {
    const result = checkNginxConfig(runnable('80', ['127.0.0.1:8001', '127.0.0.1:8002']));
    expect(result.output).toContain('test is successful');
    expect(result.ok).toBe(true);
  });

  describe('running, in front of two stand-ins for the instances', () => {
    const backends: http.Server[] = [];
    const seen: { instance: number; headers: http.IncomingHttpHeaders; bytes: number }[] = [];
    let nginx: Nginx;

    beforeAll(async () => {
      for (const instance of [1, 2]) {
        const server = http.createServer((req, res) => {
          let bytes = 0;
          req.on('data', (chunk: Buffer) => (bytes += chunk.length));
          req.on('end', () => {
            seen.push({ instance, headers: req.headers, bytes });
            res.end('ok');
          });
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        backends.push(server);
      }
      const addresses = backends.map((server) => `127.0.0.1:${(server.address() as AddressInfo).port}`);
      nginx = await Nginx.start((port) => runnable(`127.0.0.1:${port}`, addresses));
    });
    afterAll(async () => {
      await nginx?.stop();
      for (const server of backends) await new Promise((resolve) => server.close(resolve));
    });

    it('alternates between both instances and forwards what TRUST_PROXY honours', async () => {
      seen.length = 0;
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${nginx.url}/api/v1/status/`, { headers: i === 0 ? { 'X-Request-Id': 'compose-1' } : {} });
        expect(res.status).toBe(200);
      }
      expect(seen.map((request) => request.instance).sort()).toEqual([1, 1, 2, 2]);
      expect(seen[0].headers).toEqual(
        expect.objectContaining({
          host: `127.0.0.1:${nginx.port}`,
          'x-forwarded-proto': 'http',
          'x-forwarded-host': `127.0.0.1:${nginx.port}`,
          'x-forwarded-for': '127.0.0.1',
          'x-request-id': 'compose-1',
        }),
      );
      expect(seen[0].headers['x-forwarded-prefix']).toBeUndefined(); // served at the root
      expect(seen[1].headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/); // nginx's own when the client sends none
    });

    it("lets an upload larger than nginx's default 1 MiB limit through to the app", async () => {
      seen.length = 0;
      const res = await fetch(`${nginx.url}/api/v1/files/some-project/big.bin/`, { method: 'POST', body: Buffer.alloc(3 * 1024 * 1024, 1) });
      expect(res.status).toBe(200);
      expect(seen.map((request) => request.bytes)).toEqual([3 * 1024 * 1024]);
    });
  });
});

describe('docs/deploy.md', () => {
  it('has an nginx example that passes nginx -t (its certificate lines left out)', () => {
    const examples = [...deployDoc.matchAll(/```nginx\n([\s\S]*?)```/g)].map((match) => match[1]);
    expect(examples).toHaveLength(1);
    const withoutTls = examples[0].replace(/^\s*ssl_certificate(_key)?\s.*$/gm, '').replace(/listen 443 ssl;/, 'listen 443;');
    const result = checkNginxConfig(withoutTls);
    expect(result.output).toContain('test is successful');
  });
});
