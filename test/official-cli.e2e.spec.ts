import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { expectStatus } from './support/expectations.js';
import { officialCli } from './support/official-cli.js';
import { auth, startTestApp, type TestApp } from './support/test-app.js';

// The official qfieldcloud-sdk CLI against a listening Fieldbase (see test/support/official-cli.ts for
// QFC_SDK_DIR and QFC_SDK_DEPS). What the CLI prints is not trusted alone (it prints HTTP errors and
// exits 0): each test checks what the server saw.

const cli = officialCli();
if (!cli.available) console.log(`official-cli.e2e: skipped: ${cli.reason}`);
const describeCli = cli.available ? describe : describe.skip;

const MiB = 1024 * 1024;

interface Seen {
  method: string;
  url: string;
  status: number;
}

let t: TestApp;
let baseUrl: string;
let token: string;
/** Every request the server answered, in order. */
const seen: Seen[] = [];

/** The requests answered while `run` ran. */
async function during(run: () => Promise<unknown>): Promise<Seen[]> {
  const from = seen.length;
  await run();
  return seen.slice(from);
}

describeCli('the official qfieldcloud-sdk CLI', () => {
  beforeAll(async () => {
    t = await startTestApp();
    const server = t.http as unknown as http.Server;
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) =>
      res.on('finish', () => seen.push({ method: req.method!, url: req.url!, status: res.statusCode })),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/`;
    token = await t.createPerson('cli-user');
  }, 120_000);

  afterAll(() => t?.close());

  const qfc = async (...args: string[]) => {
    const result = await cli.run(args, { url: baseUrl, token });
    if (result.code !== 0 || /Traceback|HTTPError|Error:/.test(result.stderr + result.stdout)) {
      throw new Error(`qfieldcloud-cli ${args.join(' ')} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
    }
    return result;
  };

  describe('files: upload-files and download-files skip what did not change (md5sum is the S3-style ETag, spec §8)', () => {
    let projectId: string;
    const local = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-cli-up-'));
    const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-cli-down-'));
    const contents: Record<string, Buffer> = {
      'survey-9MiB.bin': randomBytes(9 * MiB),
      'data/ortho-20MiB.tif': randomBytes(20 * MiB),
    };
    const fileRequests = (requests: Seen[], method: string) =>
      requests.filter((r) => r.method === method && r.url.startsWith(`/api/v1/files/${projectId}/`) && !r.url.startsWith(`/api/v1/files/${projectId}/?`));
    const versionCount = async () => {
      const [{ n }] = await t.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM project_files f JOIN file_versions v ON v.file_id = f.id WHERE f.project_id = $1`,
        [projectId],
      );
      return n;
    };

    beforeAll(async () => {
      const res = await request(t.http).post('/api/v1/projects/').set(auth(token)).send({ name: 'cli-files' });
      expectStatus(res, 201);
      projectId = res.body.id;
      for (const [name, bytes] of Object.entries(contents)) {
        fs.mkdirSync(path.dirname(path.join(local, name)), { recursive: true });
        fs.writeFileSync(path.join(local, name), bytes);
      }
    });

    afterAll(() => {
      fs.rmSync(local, { recursive: true, force: true });
      fs.rmSync(downloads, { recursive: true, force: true });
    });

    it('the first upload-files uploads both files', async () => {
      const requests = await during(() => qfc('upload-files', projectId, local));
      expect(fileRequests(requests, 'POST').map((r) => r.status)).toEqual([201, 201]);
      expect(await versionCount()).toBe(2);
    });

    it('a second upload-files uploads nothing: the SDK finds its local ETag in md5sum', async () => {
      const requests = await during(() => qfc('upload-files', projectId, local));
      expect(requests.some((r) => r.method === 'GET' && r.url.startsWith(`/api/v1/files/${projectId}/`))).toBe(true); // it did compare
      expect(fileRequests(requests, 'POST')).toEqual([]);
      expect(await versionCount()).toBe(2);
    });

    it('download-files into an empty folder downloads both, byte for byte', async () => {
      const requests = await during(() => qfc('download-files', projectId, downloads));
      expect(fileRequests(requests, 'GET').map((r) => r.status)).toEqual([200, 200]);
      for (const [name, bytes] of Object.entries(contents)) expect(Buffer.compare(fs.readFileSync(path.join(downloads, name)), bytes)).toBe(0);
    });

    it('a second download-files downloads nothing: the local ETag equals md5sum', async () => {
      const requests = await during(() => qfc('download-files', projectId, downloads));
      expect(requests.some((r) => r.method === 'GET' && r.url.startsWith(`/api/v1/files/${projectId}/?`))).toBe(true); // it did compare
      // No file body sent again (a 304 would not transfer it either).
      expect(fileRequests(requests, 'GET').filter((r) => r.status !== 304)).toEqual([]);
      for (const [name, bytes] of Object.entries(contents)) expect(Buffer.compare(fs.readFileSync(path.join(downloads, name)), bytes)).toBe(0);
    });
  });

  describe('jobs: job-trigger, list-jobs and job-status (spec §10.2)', () => {
    let projectId: string;
    const QGS = Buffer.from('<!DOCTYPE qgis PUBLIC "http://mrcc.com/qgis.dtd" "SYSTEM">\n<qgis version="3.22.16-Białowieża" projectname=""></qgis>\n');

    beforeAll(async () => {
      const res = await request(t.http).post('/api/v1/projects/').set(auth(token)).send({ name: 'cli-jobs' });
      expectStatus(res, 201);
      projectId = res.body.id;
      // The upload queues a process_projectfile (§8); no worker runs here, so jobs stay pending.
      expectStatus(await request(t.http).post(`/api/v1/files/${projectId}/project.qgs/`).set(auth(token)).attach('file', QGS, 'project.qgs'), 201);
    });

    it('job-trigger makes a package job (201, form body with force=0); again answers the same one (200); --force makes another', async () => {
      const first = await during(() => qfc('job-trigger', projectId, 'package'));
      expect(first.filter((r) => r.method === 'POST' && r.url.startsWith('/api/v1/jobs')).map((r) => r.status)).toEqual([201]);
      const created = (await qfc('job-trigger', projectId, 'package')).json as { id: string; type: string; status: string };
      const forced = (await qfc('job-trigger', projectId, 'package', '--force')).json as { id: string };
      const jobs = await t.sql<{ id: string }>(`SELECT id FROM jobs WHERE project_id = $1 AND type = 'package' ORDER BY created_at`, [projectId]);
      expect(jobs.map((job) => job.id)).toEqual([created.id, forced.id]);
      expect(created).toMatchObject({ type: 'package', status: 'pending' });
    });

    it("list-jobs lists the project's jobs oldest first, with --type and pagination", async () => {
      const all = (await qfc('list-jobs', projectId)).json as { type: string }[];
      expect(all.map((job) => job.type)).toEqual(['process_projectfile', 'package', 'package']);
      const processing = (await qfc('list-jobs', projectId, '--type', 'process_projectfile')).json as { type: string }[];
      expect(processing.map((job) => job.type)).toEqual(['process_projectfile']);
      const page = (await qfc('list-jobs', projectId, '--limit', '1')).json as unknown[];
      expect(page).toHaveLength(1);
    });

    it('job-status reads one job', async () => {
      const [job] = await t.sql<{ id: string }>(`SELECT id FROM jobs WHERE project_id = $1 AND type = 'process_projectfile'`, [projectId]);
      const status = (await qfc('job-status', job.id)).json;
      expect(status).toMatchObject({
        id: job.id,
        project_id: projectId,
        type: 'process_projectfile',
        status: 'pending',
        created_by: 'cli-user',
        feedback: null,
      });
    });
  });
});
