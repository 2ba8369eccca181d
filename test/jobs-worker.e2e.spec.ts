import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import request from 'supertest';
import { pngSize, TINY_PNG } from './support/kit.js';
import { createProject, getJob, jobEnded, jobProcesses, jobsOf, slowPython, uploadProject, waitFor } from './support/jobs.js';
import { makeProject, type MadeProject } from './support/qgis.js';
import { auth, startTestApp, type TestApp } from './support/test-app.js';

// The worker of spec §13 with real QGIS, in the server's process: process_projectfile (§10.4) on
// projects that qgis/tests/make_project.py builds, uploaded over HTTP as QFieldSync does (§8), the
// project's status (§5.1), timeouts, deleted projects, a missing QGIS, job types that do not run yet.
jest.setTimeout(120_000);

const API = '/api/v1';
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** A supertest parser that keeps the body as bytes. */
const bytes = (res: request.Response, done: (error: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  const stream = res as unknown as NodeJS.ReadableStream;
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
};

describe('the worker runs process_projectfile with QGIS (spec §10.4, §13)', () => {
  let t: TestApp;
  let token: string;
  let n = 0;
  const made: MadeProject[] = [];
  const build = async (options: Parameters<typeof makeProject>[0]) => {
    const project = await makeProject(options);
    made.push(project);
    return project;
  };
  const project = () => createProject(t.http, token, `worker-${++n}`);
  const details = async (id: string) => (await request(t.http).get(`${API}/projects/${id}/`).set(auth(token))).body;

  beforeAll(async () => {
    t = await startTestApp({ WORKER: 'true', QGIS_PYTHON: slowPython(60) });
    token = await t.createPerson('wk_owner');
    await waitFor('the worker to report QGIS', async () => (await request(t.http).get(`${API}/status/`)).body.worker === 'ok', 30_000);
  });
  afterAll(async () => {
    await t?.close();
    for (const project of made) fs.rmSync(project.dir, { recursive: true, force: true });
  });

  it('/status/ says the worker is ok', async () => {
    expect((await request(t.http).get(`${API}/status/`)).body).toEqual({ database: 'ok', storage: 'ok', worker: 'ok' });
  });

  it("QFieldSync's flow: data files, then the .qgs last → one processing; busy, then ok with project_details and a thumbnail", async () => {
    const qgs = await build({ format: 'qgs', title: 'Field survey', layers: ['points_gpkg', 'lines_geojson'] });
    const id = await project();
    await uploadProject(t.http, token, id, qgs);
    const jobs = await jobsOf(t.http, token, id);
    expect(jobs.map((job) => [job.type, job.created_by])).toEqual([['process_projectfile', 'wk_owner']]);
    expect((await details(id)).status).toBe('busy');

    const job = await jobEnded(t.http, token, jobs[0].id);
    expect(job).toMatchObject({ status: 'finished', feedback: expect.objectContaining({ feedback_version: '2.0' }) });
    expect(job.feedback.error).toBeUndefined();
    expect(job.feedback.steps.map((step: { id: string }) => step.id)).toEqual(expect.arrayContaining(['start_qgis', 'qgis_project_details']));
    expect(typeof job.output).toBe('string');
    expect(new Date(job.started_at).getTime()).toBeLessThanOrEqual(new Date(job.finished_at).getTime());

    const project_ = await details(id);
    expect(project_.status).toBe('ok');
    const found = project_.project_details;
    expect(found).toMatchObject({ project_name: 'Field survey', crs: 'EPSG:4326', attachment_dirs: ['DCIM'], data_dirs: [] });
    expect(found.ordered_layer_ids.sort()).toEqual(Object.values(qgs.layer_ids).sort());
    expect(
      Object.values(found.layers_by_id)
        .map((layer: any) => [layer.provider_name, layer.is_valid])
        .sort(),
    ).toEqual([
      ['ogr', true],
      ['ogr', true],
    ]);
    expect(job.feedback.outputs.qgis_project_details).toEqual(found);

    const thumbnail = await request(t.http).get(`${API}/files/thumbnails/${id}/`).set(auth(token)).buffer(true).parse(bytes);
    expect(thumbnail.status).toBe(200);
    expect(thumbnail.headers['content-type']).toBe('image/png');
    expect((thumbnail.body as Buffer).subarray(0, 8)).toEqual(PNG);
    expect(pngSize(thumbnail.body)).toEqual({ width: 100, height: 100 });
    // Lists show the status, never the details.
    const listed = (await request(t.http).get(`${API}/projects/?name=worker-${n}`).set(auth(token))).body[0];
    expect(listed.status).toBe('ok');
    expect(listed.project_details).toBeUndefined();
  });

  it('a .qgz with a broken layer is processed: the layer is reported invalid', async () => {
    const qgz = await build({ format: 'qgz', layers: ['points_gpkg', 'broken'] });
    const id = await project();
    await uploadProject(t.http, token, id, qgz);
    const [queued] = await jobsOf(t.http, token, id);
    expect((await jobEnded(t.http, token, queued.id)).status).toBe('finished');
    const layers = (await details(id)).project_details.layers_by_id;
    expect(layers[qgz.layer_ids.broken]).toMatchObject({ is_valid: false, error_code: expect.stringMatching(/^invalid_/) });
    expect(layers[qgz.layer_ids.points_gpkg]).toMatchObject({ is_valid: true, error_code: 'no_error' });
  });

  it('a file that is not a readable project fails the job (INVALID_PROJECT_FILE): no project_details, status failed', async () => {
    // Uploads refuse such a file (invalid_qgis_project_file); one stored before that check existed is
    // put in place the way an upload stores it, and processed on request.
    const id = await project();
    const key = `projects/${id}/${randomUUID()}`;
    const content = Buffer.from('<!DOCTYPE qgis><qgis version="3.22.16-Białowieża" projectname=""><title>cu');
    await t.storage.put(key, Readable.from([content]));
    await t.sql(
      `WITH f AS (INSERT INTO project_files (project_id, name) VALUES ($1, 'cut.qgs') RETURNING id)
       INSERT INTO file_versions (file_id, storage_key, size, md5, sha256) SELECT f.id, $2, $3, '', '' FROM f`,
      [id, key, content.length],
    );
    await t.sql(`UPDATE projects SET the_qgis_file_name = 'cut.qgs' WHERE id = $1`, [id]);
    const res = await request(t.http).post(`${API}/jobs/`).set(auth(token)).send({ project_id: id, type: 'process_projectfile' });
    expect(res.status).toBe(201);
    const job = await jobEnded(t.http, token, res.body.id);
    expect(job).toMatchObject({
      status: 'failed',
      feedback: expect.objectContaining({ error_type: 'INVALID_PROJECT_FILE', error: expect.stringContaining('cut.qgs') }),
    });
    expect(await details(id)).toMatchObject({ status: 'failed', project_details: null });
    expect((await request(t.http).get(`${API}/files/thumbnails/${id}/`).set(auth(token))).status).toBe(404);
  });

  it('processing keeps a thumbnail a person uploaded', async () => {
    const qgs = await build({ format: 'qgs', layers: ['points_gpkg'] });
    const id = await project();
    const png = await request(t.http).post(`${API}/projects/${id}/thumbnail/`).set(auth(token)).attach('thumbnail', TINY_PNG, 'mine.png');
    expect(png.status).toBe(204);
    await uploadProject(t.http, token, id, qgs);
    const [queued] = await jobsOf(t.http, token, id);
    expect((await jobEnded(t.http, token, queued.id)).status).toBe('finished');
    const thumbnail = await request(t.http).get(`${API}/files/thumbnails/${id}/`).set(auth(token)).buffer(true).parse(bytes);
    expect(thumbnail.body).toEqual(TINY_PNG);
  });

  it('deleting a project while its job runs stops the QGIS process and removes the job', async () => {
    const qgs = await build({ format: 'qgs', name: 'slow', layers: ['points_gpkg'] });
    const id = await project();
    await uploadProject(t.http, token, id, qgs);
    const [queued] = await jobsOf(t.http, token, id);
    await waitFor('the job to start', async () => (await getJob(t.http, token, queued.id)).status === 'started');
    await waitFor('its process', async () => jobProcesses(queued.id).length > 0, 5000);
    expect((await request(t.http).delete(`${API}/projects/${id}/`).set(auth(token))).status).toBe(204);
    await waitFor("the job's processes to be killed", async () => jobProcesses(queued.id).length === 0, 10_000);
    expect(await t.sql(`SELECT id FROM jobs WHERE id = $1`, [queued.id])).toEqual([]);
    // The worker goes on with the next job.
    const next = await project();
    await uploadProject(t.http, token, next, await build({ format: 'qgs', layers: ['lines_geojson'] }));
    const [after] = await jobsOf(t.http, token, next);
    expect((await jobEnded(t.http, token, after.id)).status).toBe('finished');
  });
});

describe('the worker without QGIS, and with a short JOB_TIMEOUT_SECONDS', () => {
  let t: TestApp;
  let token: string;
  let qgs: MadeProject;

  beforeAll(async () => {
    qgs = await makeProject({ format: 'qgs', name: 'slow', layers: ['points_gpkg'] });
  });
  afterEach(async () => {
    await t?.close();
  });
  afterAll(() => fs.rmSync(qgs.dir, { recursive: true, force: true }));

  it('serves everything else; /status/ says missing_qgis; jobs fail MISSING_QGIS naming the packages to install', async () => {
    t = await startTestApp({ WORKER: 'true', QGIS_PYTHON: '/nonexistent/python3' });
    token = await t.createPerson('nq_owner');
    const status = await waitFor('the worker to report', async () => {
      const res = await request(t.http).get(`${API}/status/`);
      return res.body.worker !== 'off' ? res : null;
    });
    expect(status.status).toBe(200);
    expect(status.body).toEqual({ database: 'ok', storage: 'ok', worker: 'missing_qgis' });
    const id = await createProject(t.http, token, 'no-qgis');
    await uploadProject(t.http, token, id, qgs);
    const [queued] = await jobsOf(t.http, token, id);
    const job = await jobEnded(t.http, token, queued.id);
    expect(job).toMatchObject({ status: 'failed', feedback: expect.objectContaining({ error_type: 'MISSING_QGIS' }) });
    expect(job.feedback.error).toContain('python3-qgis');
    expect(job.feedback.error).toContain('qgis-providers');
    expect((await request(t.http).get(`${API}/projects/${id}/`).set(auth(token))).body).toMatchObject({ status: 'failed', project_details: null });
  });

  it('a job running longer than JOB_TIMEOUT_SECONDS is killed and failed (TIMEOUT)', async () => {
    t = await startTestApp({ WORKER: 'true', JOB_TIMEOUT_SECONDS: '3', QGIS_PYTHON: slowPython(60) });
    token = await t.createPerson('to_owner');
    const id = await createProject(t.http, token, 'too-slow');
    await uploadProject(t.http, token, id, qgs);
    const [queued] = await jobsOf(t.http, token, id);
    const job = await jobEnded(t.http, token, queued.id, 40_000);
    expect(job).toMatchObject({ status: 'failed', feedback: expect.objectContaining({ error_type: 'TIMEOUT' }) });
    expect(job.output).toContain('sleeping for the test');
    const ran = new Date(job.finished_at).getTime() - new Date(job.started_at).getTime();
    expect(ran).toBeGreaterThanOrEqual(3000);
    expect(ran).toBeLessThan(15_000);
    expect(jobProcesses(queued.id)).toEqual([]);
    expect((await request(t.http).get(`${API}/projects/${id}/`).set(auth(token))).body.status).toBe('failed');
  });
});
