import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { expectStatus } from './support/expectations.js';
import { deltaFile, deltasSettled, downloadProjectFiles, dumpFeatures, LayerEdits, newDevice } from './support/field-device.js';
import { createProject, jobEnded, jobsOf, uploadFile, uploadProject, waitFor } from './support/jobs.js';
import { eventually, s3Etag } from './support/kit.js';
import { officialCli } from './support/official-cli.js';
import { makeProject, type MadeProject } from './support/qgis.js';
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
  /** The If-None-Match header it came with, if any. */
  ifNoneMatch?: string;
}

let t: TestApp;
let baseUrl: string;
let token: string;
/** Every request the server answered, in order. */
const seen: Seen[] = [];
/** Requests received and not yet answered. */
let inFlight = 0;

/** The requests answered while `run` ran. */
async function during(run: () => Promise<unknown>): Promise<Seen[]> {
  const from = seen.length;
  await run();
  // The CLI may exit before the server saw the last response close.
  await eventually(
    () => inFlight,
    (n) => n === 0,
  );
  return seen.slice(from);
}

/** Serves `app` on a free port, logging every request it answers in `seen`; returns the CLI's base URL. */
async function serve(app: TestApp): Promise<string> {
  const server = app.http as unknown as http.Server;
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    inFlight++;
    // 'close', not 'finish': a client that read every byte it was promised may hang up before a
    // streamed response has ended, and then only 'close' comes.
    res.on('close', () => {
      seen.push({ method: req.method!, url: req.url!, status: res.statusCode, ifNoneMatch: req.headers['if-none-match'] });
      inFlight--;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/`;
}

/** Runs the CLI against `session`; a failure it prints is thrown. */
async function qfcAt(session: { url: string; token: string; plain?: boolean }, args: string[]) {
  const result = await cli.run(args, session);
  if (result.code !== 0 || /Traceback|HTTPError|Error:/.test(result.stderr + result.stdout)) {
    throw new Error(`qfieldcloud-cli ${args.join(' ')} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

describeCli('the official qfieldcloud-sdk CLI', () => {
  beforeAll(async () => {
    t = await startTestApp();
    baseUrl = await serve(t);
    token = await t.createPerson('cli-user');
  }, 120_000);

  afterAll(() => t?.close());

  const qfc = (...args: string[]) => qfcAt({ url: baseUrl, token }, args);

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

  describe('packages and deltas: package-latest, package-download and delta-push (spec §12, §11)', () => {
    // Its own app with the worker and real QGIS: the jobs above must stay pending.
    let w: TestApp;
    let session: { url: string; token: string };
    let made: MadeProject;
    let projectId: string;
    let packageId: string;
    let downloads: string;
    const PHOTO = Buffer.from('a photo taken in the field');
    interface Listed {
      name: string;
      size: number;
      md5sum: string;
    }
    let listed: Listed[];
    const fileRequests = (requests: Seen[]) => requests.filter((r) => r.method === 'GET' && r.url.startsWith(`/api/v1/packages/${projectId}/latest/files/`));
    /** Every file under `dir`, relative, with `/` separators. */
    const filesUnder = (dir: string): string[] =>
      fs
        .readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
        .sort();

    beforeAll(async () => {
      downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-cli-package-'));
      w = await startTestApp({ WORKER: 'true' });
      session = { url: await serve(w), token: await w.createPerson('cli-packager') };
      await waitFor('the worker to report QGIS', async () => (await request(w.http).get('/api/v1/status/')).body.worker === 'ok', 60_000);
      made = await makeProject({ layers: ['points_gpkg', 'lines_geojson'] });
      projectId = await createProject(w.http, session.token, 'cli-package');
      await uploadFile(w.http, session.token, projectId, 'DCIM/photo.jpg', PHOTO);
      await uploadProject(w.http, session.token, projectId, made);
      for (const job of await jobsOf(w.http, session.token, projectId)) await jobEnded(w.http, session.token, job.id, 120_000);
    }, 300_000);

    afterAll(async () => {
      await w?.close();
      if (made) fs.rmSync(made.dir, { recursive: true, force: true });
      if (downloads) fs.rmSync(downloads, { recursive: true, force: true });
    });

    it('job-trigger packages the project; the job finishes', async () => {
      const created = (await qfcAt(session, ['job-trigger', projectId, 'package'])).json as { id: string; type: string };
      expect(created.type).toBe('package');
      const job = await jobEnded(w.http, session.token, created.id, 120_000);
      expect(job.feedback.error ?? null).toBeNull();
      expect(job.status).toBe('finished');
      packageId = created.id;
    }, 180_000);

    it('package-latest prints the finished package with what QField requires: package_id, packaged_at, files with name, size and md5sum', async () => {
      const latest = (await qfcAt(session, ['package-latest', projectId])).json as Record<string, any>;
      expect(latest.status).toBe('finished');
      expect(latest.package_id).toBe(packageId);
      expect(typeof latest.packaged_at).toBe('string');
      expect(latest.packaged_at).not.toBe('');
      expect(Object.keys(latest.layers).sort()).toEqual(Object.values(made.layer_ids).sort());
      for (const layer of Object.values(latest.layers) as Record<string, unknown>[]) expect(layer).toMatchObject({ is_valid: true });
      listed = latest.files;
      expect(listed.map((file) => file.name)).toEqual(['data.gpkg', 'project_qfield.qgs', 'DCIM/photo.jpg']);
      for (const file of listed) {
        expect(typeof file.name).toBe('string');
        expect(typeof file.size).toBe('number');
        expect(file.md5sum).toMatch(/^[0-9a-f]{32}(-\d+)?$/);
      }
    });

    it('package-download fetches exactly the listed files, each once, with matching S3-style md5s', async () => {
      const requests = await during(async () => {
        const downloaded = (await qfcAt(session, ['package-download', projectId, downloads])).json as { name: string; status: string }[];
        expect(downloaded.map((file) => [file.name, file.status])).toEqual(listed.map((file) => [file.name, 'SUCCESS']));
      });
      expect(fileRequests(requests).map((r) => r.status)).toEqual([200, 200, 200]);
      expect(filesUnder(downloads)).toEqual(listed.map((file) => file.name).sort());
      for (const file of listed) {
        const bytes = fs.readFileSync(path.join(downloads, file.name));
        expect([file.name, bytes.length, s3Etag(bytes)]).toEqual([file.name, file.size, file.md5sum]);
      }
      expect(fs.readFileSync(path.join(downloads, 'DCIM/photo.jpg'))).toEqual(PHOTO);
    });

    // Unlike download-files, the SDK's package-download skips a file only when the listing carries an
    // `etag` key; neither upstream's listing nor spec §12's has one (QField itself compares md5sum), so
    // the SDK fetches every file again, unconditionally. What must hold: the same files, nothing else.
    it('a second package-download into the same folder fetches the listed files again, unconditionally, and leaves exactly them', async () => {
      const requests = await during(() => qfcAt(session, ['package-download', projectId, downloads]));
      expect(fileRequests(requests).map((r) => [r.status, r.ifNoneMatch])).toEqual(listed.map(() => [200, undefined]));
      expect(filesUnder(downloads)).toEqual(listed.map((file) => file.name).sort());
      for (const file of listed) expect(s3Etag(fs.readFileSync(path.join(downloads, file.name)))).toBe(file.md5sum);
    });

    // Issue 16: deltas written against the package the CLI downloaded, pushed with its delta-push. The
    // SDK hands the push's HTTP response to its JSON printer, which cannot print it (a TypeError after
    // the push succeeded), so this one command runs without --json.
    it('delta-push pushes a delta file written against the downloaded package; the worker applies it to the project data', async () => {
      const packaged = await dumpFeatures(path.join(downloads, 'project_qfield.qgs'));
      const layer = packaged[made.layer_ids.points_gpkg];
      const points = new LayerEdits(made.layer_ids.points_gpkg, layer, newDevice());
      const pushed = deltaFile(projectId, [
        points.patch(layer.features[0], { name: 'renamed with the CLI' }),
        points.create({ name: 'created with the CLI', count: 7, height: 0.5, observed: '2026-07-01' }, 'Point (7.3 46.3)'),
      ]);
      const deltaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-cli-deltas-'));
      try {
        fs.writeFileSync(path.join(deltaDir, 'deltafile.json'), JSON.stringify(pushed));
        const requests = await during(() => qfcAt({ ...session, plain: true }, ['delta-push', projectId, path.join(deltaDir, 'deltafile.json')]));
        expect(requests.filter((r) => r.method === 'POST' && r.url.startsWith('/api/v1/deltas/')).map((r) => [r.url, r.status])).toEqual([
          [`/api/v1/deltas/${projectId}/`, 200],
        ]);
        const rows = await deltasSettled(w.http, session.token, projectId, pushed.id, 180_000, 250);
        expect(rows.map((row) => [row.id, row.status])).toEqual(pushed.deltas.map((delta) => [delta.uuid, 'STATUS_APPLIED']));
        await downloadProjectFiles(w.http, session.token, projectId, deltaDir);
        const names = (await dumpFeatures(path.join(deltaDir, made.project_file)))[made.layer_ids.points_gpkg].features.map(
          (feature) => feature.attributes.name,
        );
        expect(names).toEqual(['renamed with the CLI', 'point 2', 'point 3', 'created with the CLI']);
      } finally {
        fs.rmSync(deltaDir, { recursive: true, force: true });
      }
    }, 240_000);
  });
});
