import { jest } from '@jest/globals';
import { OpenApiResponseValidator } from './support/openapi-validator.js';
import crypto from 'node:crypto';
import fs from 'node:fs';
import request from 'supertest';
import { createProject, jobEnded, jobsOf, uploadFile, uploadProject, waitFor, type Job } from './support/jobs.js';
import { makeProject, type MadeProject } from './support/qgis.js';
import { auth, startTestApp, type TestApp } from './support/test-app.js';

// Packages (spec §12, §5.1, §10.2) through HTTP with the real worker and real QGIS: QField's flow
// (POST /jobs/ package, poll, latest/, download each file), dedup and force, who may package, the
// derived project fields, package storage kept apart from the project's files and cleaned up.
jest.setTimeout(300_000);

const API = '/api/v1';
const md5 = (bytes: Buffer) => crypto.createHash('md5').update(bytes).digest('hex');
const sha256 = (bytes: Buffer) => crypto.createHash('sha256').update(bytes).digest('hex');
const bytes = (res: request.Response, done: (error: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  const stream = res as unknown as NodeJS.ReadableStream;
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
};
const PHOTO = Buffer.from('a photo taken in the field');

describe('packages through HTTP with the real worker (spec §12)', () => {
  let t: TestApp;
  let owner: string;
  let reader: string;
  let made: MadeProject;
  let id: string;
  let first: Job;
  let second: Job;

  const project = async (projectId = id) => (await request(t.http).get(`${API}/projects/${projectId}/`).set(auth(owner))).body;
  const latest = (token = owner) => request(t.http).get(`${API}/packages/${id}/latest/`).set(auth(token));
  const download = (name: string, headers: Record<string, string> = {}) =>
    request(t.http).get(`${API}/packages/${id}/latest/files/${name}/`).set(auth(owner)).set(headers).buffer(true).parse(bytes);
  const packageJob = (token: string, projectId: string, extra: Record<string, unknown> = {}) =>
    request(t.http)
      .post(`${API}/jobs/`)
      .set(auth(token))
      .send({ project_id: projectId, type: 'package', ...extra });

  beforeAll(async () => {
    t = await startTestApp({ WORKER: 'true' });
    owner = await t.createPerson('pk_owner');
    reader = await t.createPerson('pk_reader');
    await waitFor('the worker to report QGIS', async () => (await request(t.http).get(`${API}/status/`)).body.worker === 'ok', 60_000);
    made = await makeProject({ layers: ['points_gpkg', 'lines_geojson'] });
    id = await createProject(t.http, owner, 'packaged');
    await uploadFile(t.http, owner, id, 'DCIM/photo.jpg', PHOTO);
    await uploadProject(t.http, owner, id, made);
    for (const job of await jobsOf(t.http, owner, id)) await jobEnded(t.http, owner, job.id, 120_000);
    expect((await request(t.http).post(`${API}/collaborators/${id}/`).set(auth(owner)).send({ collaborator: 'pk_reader', role: 'reader' })).status).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(made.dir, { recursive: true, force: true });
  });

  it('answers 400 invalid_job before the first successful package; the project needs repackaging', async () => {
    const res = await latest();
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_job' });
    expect(await project()).toMatchObject({ status: 'ok', data_last_packaged_at: null, needs_repackaging: true });
  });

  it('a reader may package; a second request while it is active answers 200 with that job; force makes a new one', async () => {
    const created = await packageJob(reader, id);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ type: 'package', created_by: 'pk_reader' });
    const again = await packageJob(owner, id);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(created.body.id);
    const forced = await packageJob(owner, id, { force: 1 });
    expect(forced.status).toBe(201);
    expect(forced.body.id).not.toBe(created.body.id);
    first = await jobEnded(t.http, owner, created.body.id, 120_000);
    second = await jobEnded(t.http, owner, forced.body.id, 120_000);
    expect([first.feedback.error ?? null, second.feedback.error ?? null]).toEqual([null, null]);
    expect([first.status, second.status]).toEqual(['finished', 'finished']);
  });

  it("sets data_last_packaged_at to the last package job's started_at and needs_repackaging to false, file_storage_bytes unchanged", async () => {
    const details = await project();
    expect(details.data_last_packaged_at).toBe(second.started_at);
    expect(details.needs_repackaging).toBe(false);
    const [{ sum }] = await t.sql<{ sum: string }>(
      `SELECT sum(v.size) AS sum FROM project_files f JOIN file_versions v ON v.file_id = f.id WHERE f.project_id = $1`,
      [id],
    );
    expect(details.file_storage_bytes).toBe(Number(sum));
  });

  it('lists the newest package: its files and the attachments, with S3-style md5s, its layers, the job id', async () => {
    const res = await latest(reader);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['data_last_updated_at', 'files', 'layers', 'package_id', 'packaged_at', 'status']);
    expect(res.body).toMatchObject({
      status: 'finished',
      package_id: second.id,
      packaged_at: second.started_at,
      data_last_updated_at: (await project()).data_last_updated_at,
    });
    expect(res.body.files.map((file: { name: string }) => file.name)).toEqual(['data.gpkg', 'project_qfield.qgs', 'DCIM/photo.jpg']);
    for (const file of res.body.files) {
      expect(Object.keys(file).sort()).toEqual(['is_attachment', 'last_modified', 'md5sum', 'name', 'sha256', 'size', 'uploaded_at']);
      expect(file.is_attachment).toBe(file.name.startsWith('DCIM/'));
    }
    expect(Object.keys(res.body.layers).sort()).toEqual(Object.values(made.layer_ids).sort());
    expect(res.body.layers[made.layer_ids.points_gpkg]).toMatchObject({ name: 'points', is_valid: true, datasource: './data.gpkg|layername=points' });
  });

  it('serves each listed file with its md5 as ETag, Range, 304 on the bare md5 and 416 outside the file', async () => {
    const { files } = (await latest()).body;
    for (const file of files) {
      const res = await download(file.name);
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(file.size);
      expect(md5(res.body)).toBe(file.md5sum);
      expect(sha256(res.body)).toBe(file.sha256);
      expect(res.headers.etag).toBe(`"${file.md5sum}"`);
    }
    expect((await download('DCIM/photo.jpg')).body).toEqual(PHOTO);
    const qgs = files.find((file: { name: string }) => file.name === 'project_qfield.qgs');
    const part = await download('project_qfield.qgs', { Range: 'bytes=0-9' });
    expect(part.status).toBe(206);
    expect(part.body.toString()).toBe((await download('project_qfield.qgs')).body.subarray(0, 10).toString());
    expect((await download('project_qfield.qgs', { 'If-None-Match': qgs.md5sum })).status).toBe(304);
    const outside = await download('project_qfield.qgs', { Range: `bytes=${qgs.size + 10}-` });
    expect(outside.status).toBe(416);
    expect(JSON.parse(outside.body.toString())).toMatchObject({ code: 'range_not_satisfiable' });
    const missing = await request(t.http).get(`${API}/packages/${id}/latest/files/points.gpkg/`).set(auth(owner));
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'object_not_found' });
  });

  it('keeps the previous package an hour, removes older ones once a newer one succeeded', async () => {
    const stored = async (job: Job) => t.storedKeys(`packages/${id}/${job.id}/`);
    expect(await stored(first)).toHaveLength(2);
    expect(await stored(second)).toHaveLength(2);
    const third = await jobEnded(t.http, owner, (await packageJob(owner, id)).body.id, 120_000);
    expect(third.status).toBe('finished');
    // The superseded objects are deleted from storage just after the job's transaction commits (the outbox), so a moment later.
    await waitFor('the first package to leave storage', async () => (await stored(first)).length === 0, 10_000);
    expect(await stored(second)).toHaveLength(2);
    expect((await latest()).body.package_id).toBe(third.id);
  });

  it('needs repackaging again once a file changes', async () => {
    await uploadFile(t.http, owner, id, 'notes.txt', Buffer.from('new'));
    await waitFor('processing to end', async () => (await project()).status !== 'busy', 120_000);
    expect((await project()).needs_repackaging).toBe(true);
  });

  it('templates may not be packaged (403)', async () => {
    const template = await createProject(t.http, owner, 'a-template');
    expect((await request(t.http).patch(`${API}/projects/${template}/`).set(auth(owner)).send({ project_type: 'template' })).status).toBe(200);
    const res = await packageJob(owner, template, { force: 1 });
    expect(res.status).toBe(403);
    expect((await project(template)).can_repackage).toBe(false);
  });

  it('answers what the OpenAPI document declares (latest/, its errors, a file download and its errors)', async () => {
    const document = (await request(t.http).get(`${API}/openapi.json`)).body;
    const validator = new OpenApiResponseValidator(document);
    const check = (route: string, res: request.Response) =>
      validator.validate({ method: 'GET', route, status: res.status, headers: new Headers(res.headers as Record<string, string>), body: res.text ?? '' });
    const LATEST = '/api/v1/packages/{projectId}/latest';
    const FILE = '/api/v1/packages/{projectId}/latest/files/{path}';
    expect(check(LATEST, await latest())).toEqual([]);
    expect(
      check(
        LATEST,
        await request(t.http)
          .get(`${API}/packages/${await createProject(t.http, owner, 'never-packaged')}/latest/`)
          .set(auth(owner)),
      ),
    ).toEqual([]);
    const errors = [
      await request(t.http).get(`${API}/packages/${id}/latest/files/absent.txt/`).set(auth(owner)),
      await request(t.http).get(`${API}/packages/${id}/latest/files/data.gpkg/`).set(auth(owner)).set('Range', 'bytes=99999999-'),
    ];
    expect(errors.map((res) => res.status)).toEqual([404, 416]);
    for (const res of errors) expect(check(FILE, res)).toEqual([]);
    const file = await request(t.http).get(`${API}/packages/${id}/latest/files/project_qfield.qgs/`).set(auth(owner)).buffer(true).parse(bytes);
    expect(check(FILE, Object.assign(file, { text: '' }))).toEqual([]);
  });

  it('removes the packages with the project', async () => {
    expect((await t.storedKeys(`packages/${id}/`)).length).toBeGreaterThan(0);
    expect((await request(t.http).delete(`${API}/projects/${id}/`).set(auth(owner))).status).toBe(204);
    expect(await t.storedKeys(`packages/${id}/`)).toEqual([]);
    expect(await t.sql(`SELECT 1 FROM package_files WHERE project_id = $1`, [id])).toEqual([]);
  });
});
