import request from 'supertest';
import { expectError, expectStatus } from './support/expectations.js';
import { JobsRepository } from '../src/jobs/jobs.repository.js';
import { auth, startTestApp, type TestApp } from './support/test-app.js';

// Spec §10.1, §10.2 and §8 (uploads queue process_projectfile), §5.1 (`status`, `project_details`).
// No worker runs here (startTestApp's default), so every job stays `pending`: what is tested is the
// API. The worker's side is in jobs-worker.e2e.spec.ts and jobs-queue.e2e.spec.ts.

const API = '/api/v1';
const JOBS = `${API}/jobs/`;
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const JOB_FIELDS = ['id', 'created_at', 'updated_at', 'started_at', 'finished_at', 'created_by', 'project_id', 'status', 'type'];
/** The root element is all a QGIS file needs to be accepted by an upload (§8). */
const QGS = Buffer.from('<!DOCTYPE qgis PUBLIC "http://mrcc.com/qgis.dtd" "SYSTEM">\n<qgis version="3.22.16-Białowieża" projectname=""></qgis>\n');

describe('jobs API (spec §10.2)', () => {
  let t: TestApp;
  let owner: string;
  let reader: string;
  let reporter: string;
  let stranger: string;
  let n = 0;

  const project = async (token = owner, body: Record<string, unknown> = {}) => {
    const res = await request(t.http)
      .post(`${API}/projects/`)
      .set(auth(token))
      .send({ name: `jobs-${++n}`, ...body });
    expectStatus(res, 201);
    return res.body.id as string;
  };
  const upload = async (projectId: string, path: string, bytes: Buffer = Buffer.from('data'), token = owner) => {
    const res = await request(t.http).post(`${API}/files/${projectId}/${path}/`).set(auth(token)).attach('file', bytes, path.split('/').pop());
    expectStatus(res, 201);
  };
  const share = async (projectId: string, username: string, role: string) =>
    expectStatus(await request(t.http).post(`${API}/collaborators/${projectId}/`).set(auth(owner)).send({ collaborator: username, role }), 201);
  const jobsOf = async (projectId: string): Promise<{ type: string; status: string; created_by: string | null }[]> =>
    (await request(t.http).get(`${JOBS}?project_id=${projectId}`).set(auth(owner))).body;
  const trigger = (token: string, body: Record<string, unknown>) => request(t.http).post(JOBS).set(auth(token)).send(body);

  beforeAll(async () => {
    t = await startTestApp();
    [owner, reader, reporter, stranger] = await Promise.all(['jo_owner', 'jo_reader', 'jo_reporter', 'jo_stranger'].map((name) => t.createPerson(name)));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('POST /jobs/ makes a pending job (201) from a JSON or a form body, with the job object of §10.1', async () => {
    const id = await project();
    const json = await trigger(owner, { project_id: id, type: 'process_projectfile' });
    expectStatus(json, 201);
    expect(Object.keys(json.body)).toEqual(JOB_FIELDS);
    expect(json.body).toMatchObject({
      project_id: id,
      type: 'process_projectfile',
      status: 'pending',
      created_by: 'jo_owner',
      started_at: null,
      finished_at: null,
    });
    expect(json.body.created_at).toMatch(ISO_Z);

    const form = await request(t.http)
      .post('/api/v1/jobs')
      .set(auth(owner))
      .type('form')
      .send({ project_id: id.toUpperCase(), type: 'process_projectfile', force: '0' });
    expectStatus(form, 201);
    expect(form.body.project_id).toBe(id);
    const multipart = await request(t.http).post(JOBS).set(auth(owner)).field('project_id', id).field('type', 'process_projectfile');
    expectStatus(multipart, 201);
  });

  it('GET /jobs/{id}/ adds feedback and output; unknown id 404, malformed 400, no role on its project 403', async () => {
    const id = await project();
    const { body: job } = await trigger(owner, { project_id: id, type: 'process_projectfile' });
    for (const path of [`${JOBS}${job.id}/`, `${JOBS}${job.id.toUpperCase()}`]) {
      const res = await request(t.http).get(path).set(auth(owner));
      expectStatus(res, 200);
      expect(Object.keys(res.body)).toEqual([...JOB_FIELDS, 'feedback', 'output']);
      expect(res.body).toMatchObject({ id: job.id, feedback: null, output: null });
    }
    expectError(await request(t.http).get(`${JOBS}00000000-0000-4000-8000-000000000000/`).set(auth(owner)), 404, 'object_not_found');
    expectError(await request(t.http).get(`${JOBS}not-a-uuid/`).set(auth(owner)), 400, 'validation_error');
    expectError(await request(t.http).get(`${JOBS}${job.id}/`).set(auth(stranger)), 403, 'permission_denied');
    expectError(await request(t.http).get(`${JOBS}${job.id}/`), 401, 'not_authenticated');
  });

  it("GET /jobs/ lists a project's jobs oldest first, filters by type, paginates (§7); needs project_id", async () => {
    const id = await project();
    await upload(id, 'project.qgs', QGS); // queues a process_projectfile
    const made = [];
    for (const body of [{ type: 'package' }, { type: 'package', force: true }, { type: 'process_projectfile' }]) {
      made.push((await trigger(owner, { project_id: id, ...body })).body.id);
    }
    const all = await request(t.http).get(`${API}/jobs?project_id=${id}`).set(auth(owner));
    expectStatus(all, 200);
    expect(all.body.map((job: { type: string }) => job.type)).toEqual(['process_projectfile', 'package', 'package', 'process_projectfile']);
    expect(all.body.slice(1).map((job: { id: string }) => job.id)).toEqual(made);
    expect(all.headers['x-total-count']).toBeUndefined();
    expect(Object.keys(all.body[0])).toEqual(JOB_FIELDS);

    const packages = await request(t.http).get(`${JOBS}?project_id=${id}&type=package`).set(auth(owner));
    expect(packages.body.map((job: { id: string }) => job.id)).toEqual(made.slice(0, 2));

    const page = await request(t.http).get(`${JOBS}?project_id=${id}&limit=2&offset=1`).set(auth(owner));
    expect(page.body.map((job: { id: string }) => job.id)).toEqual(made.slice(0, 2));
    expect(page.headers['x-total-count']).toBe('4');
    expect(page.headers['x-next-page']).toMatch(new RegExp(`/api/v1/jobs/\\?project_id=${id}&limit=2&offset=3$`));
    expect(page.headers['x-previous-page']).toMatch(/limit=2$/);

    expectError(await request(t.http).get(JOBS).set(auth(owner)), 400, 'validation_error', 'project_id');
    expectError(await request(t.http).get(`${JOBS}?project_id=nope`).set(auth(owner)), 400, 'validation_error', 'project_id');
    expectError(await request(t.http).get(`${JOBS}?project_id=${id}&type=create_project`).set(auth(owner)), 400, 'validation_error', 'type');
    expectError(await request(t.http).get(`${JOBS}?project_id=${id}&limit=x`).set(auth(owner)), 400, 'validation_error', 'limit');
    expectError(await request(t.http).get(`${JOBS}?project_id=00000000-0000-4000-8000-000000000000`).set(auth(owner)), 404, 'object_not_found');
    expectError(await request(t.http).get(`${JOBS}?project_id=${id}`).set(auth(stranger)), 403, 'permission_denied');
  });

  it('refuses a missing or unknown type, create_project, a bad project_id or force (400 naming the field)', async () => {
    const id = await project();
    expectError(await trigger(owner, { project_id: id }), 400, 'validation_error', 'type');
    expectError(await trigger(owner, { project_id: id, type: 'create_project' }), 400, 'validation_error', 'type');
    expectError(await trigger(owner, { project_id: id, type: 'export' }), 400, 'validation_error', 'type');
    expectError(await trigger(owner, { type: 'package' }), 400, 'validation_error', 'project_id');
    expectError(await trigger(owner, { project_id: 'abc', type: 'package' }), 400, 'validation_error', 'project_id');
    expectError(await trigger(owner, { project_id: id, type: 'package', force: 'sometimes' }), 400, 'validation_error', 'force');
    expectError(await trigger(owner, { project_id: '00000000-0000-4000-8000-000000000000', type: 'package' }), 404, 'object_not_found');
    expect(await jobsOf(id)).toEqual([]);
  });

  it('roles (§6.4): every role may ask for a package; process_projectfile and delta_apply need reporter or more; no role 403', async () => {
    const id = await project();
    await upload(id, 'project.qgs', QGS);
    await share(id, 'jo_reader', 'reader');
    await share(id, 'jo_reporter', 'reporter');
    expectStatus(await trigger(reader, { project_id: id, type: 'package' }), 201);
    expectError(await trigger(reader, { project_id: id, type: 'process_projectfile' }), 403, 'permission_denied');
    expectError(await trigger(reader, { project_id: id, type: 'delta_apply' }), 403, 'permission_denied');
    const byReporter = await trigger(reporter, { project_id: id, type: 'process_projectfile' });
    expectStatus(byReporter, 201);
    expect(byReporter.body.created_by).toBe('jo_reporter');
    expectStatus(await request(t.http).get(`${JOBS}?project_id=${id}`).set(auth(reader)), 200);
    expectError(await trigger(stranger, { project_id: id, type: 'package' }), 403, 'permission_denied');
    // Public projects: every authenticated person is a reader.
    const open = await project(owner, { is_public: true });
    await upload(open, 'project.qgs', QGS);
    expectStatus(await trigger(stranger, { project_id: open, type: 'package' }), 201);
    expectError(await trigger(stranger, { project_id: open, type: 'process_projectfile' }), 403, 'permission_denied');
  });

  it('package: 400 no_qgis_project without a QGIS file unless force; 403 on template and shared_datasets projects', async () => {
    const id = await project();
    expectError(await trigger(owner, { project_id: id, type: 'package' }), 400, 'no_qgis_project');
    expectStatus(await trigger(owner, { project_id: id, type: 'package', force: 1 }), 201);
    const template = await project(owner, { project_type: 'template' });
    await upload(template, 'project.qgs', QGS);
    expectError(await trigger(owner, { project_id: template, type: 'package' }), 403, 'permission_denied');
    const shared = await project(owner, { name: 'shared_datasets' });
    expectError(await trigger(owner, { project_id: shared, type: 'package', force: true }), 403, 'permission_denied');
  });

  it('package without force answers the active package job (200) and makes nothing; force always makes a new one', async () => {
    const id = await project();
    await upload(id, 'project.qgs', QGS);
    const first = await trigger(owner, { project_id: id, type: 'package' });
    expectStatus(first, 201);
    const again = await trigger(owner, { project_id: id, type: 'package', force: 'false' });
    expectStatus(again, 200);
    expect(again.body).toEqual(first.body);
    // Concurrent requests of one project are serialised: still that one job.
    const racing = await Promise.all([1, 2, 3].map(() => trigger(owner, { project_id: id, type: 'package' })));
    expect(racing.map((res) => [res.status, res.body.id])).toEqual([1, 2, 3].map(() => [200, first.body.id]));
    const forced = await trigger(owner, { project_id: id, type: 'package', force: 'True' });
    expectStatus(forced, 201);
    expect(forced.body.id).not.toBe(first.body.id);
    // Once it ended, a new one is made.
    await t.sql(`UPDATE jobs SET status = 'finished', finished_at = now() WHERE type = 'package' AND project_id = $1`, [id]);
    expectStatus(await trigger(owner, { project_id: id, type: 'package' }), 201);
  });

  it('package and delta_apply need free storage (402); process_projectfile does not; delta_apply without pending deltas is 400', async () => {
    const id = await project();
    await upload(id, 'project.qgs', QGS);
    expectError(await trigger(owner, { project_id: id, type: 'delta_apply' }), 400, 'no_deltas_to_apply');
    const empty = await project();
    expectError(await trigger(owner, { project_id: empty, type: 'delta_apply' }), 400, 'no_qgis_project');
    await t.sql(`UPDATE accounts SET storage_quota_bytes = 10 WHERE username = 'jo_owner'`);
    try {
      expectError(await trigger(owner, { project_id: id, type: 'package' }), 402, 'over_quota');
      expectError(await trigger(owner, { project_id: id, type: 'delta_apply' }), 402, 'over_quota');
      expectStatus(await trigger(owner, { project_id: id, type: 'process_projectfile' }), 201);
    } finally {
      await t.sql(`UPDATE accounts SET storage_quota_bytes = NULL WHERE username = 'jo_owner'`);
    }
  });

  it('uploads queue process_projectfile (§8): once a QGIS file exists, not for attachments, once per person while pending', async () => {
    const id = await project();
    await share(id, 'jo_reporter', 'editor');
    await upload(id, 'data/points.gpkg');
    expect(await jobsOf(id)).toEqual([]); // no QGIS file yet
    await upload(id, 'project.qgs', QGS);
    await upload(id, 'data/lines.geojson');
    await upload(id, 'DCIM/photo.jpg');
    expect((await jobsOf(id)).map((job) => [job.type, job.status, job.created_by])).toEqual([['process_projectfile', 'pending', 'jo_owner']]);
    await upload(id, 'data/more.csv', Buffer.from('x'), reporter);
    expect((await jobsOf(id)).map((job) => job.created_by)).toEqual(['jo_owner', 'jo_reporter']);
    // Once the pending one was taken by a worker, the next upload queues another.
    await t.sql(`UPDATE jobs SET status = 'finished', finished_at = now() WHERE project_id = $1`, [id]);
    await upload(id, 'project.qgs', QGS);
    expect((await jobsOf(id)).map((job) => job.status)).toEqual(['finished', 'finished', 'pending']);
  });

  it('project status (§5.1): failed without a QGIS file, busy while a job is active, failed when unprocessed, ok when processed', async () => {
    const id = await project();
    const status = async () => (await request(t.http).get(`${API}/projects/${id}/`).set(auth(owner))).body.status;
    const inList = async () => (await request(t.http).get(`${API}/projects/?name=jobs-${n}`).set(auth(owner))).body[0];
    expect(await status()).toBe('failed');
    await upload(id, 'project.qgs', QGS);
    expect(await status()).toBe('busy');
    expect((await inList()).status).toBe('busy');
    await t.sql(`UPDATE jobs SET status = 'failed', finished_at = now() WHERE project_id = $1`, [id]);
    expect(await status()).toBe('failed');
    await t.sql(`UPDATE projects SET project_details = '{"project_name": "p"}' WHERE id = $1`, [id]);
    const detail = await request(t.http).get(`${API}/projects/${id}/`).set(auth(owner));
    expect(detail.body.status).toBe('ok');
    expect(Object.keys(detail.body).at(-1)).toBe('project_details');
    expect(detail.body.project_details).toEqual({ project_name: 'p' });
    const listed = await inList();
    expect(listed.status).toBe('ok');
    expect('project_details' in listed).toBe(false);
    // shared_datasets projects have no QGIS file and are ok.
    const shared = await request(t.http)
      .get(`${API}/projects/${await project(reporter, { name: 'shared_datasets' })}/`)
      .set(auth(reporter));
    expect(shared.body).toMatchObject({ status: 'ok', project_details: null });
  });

  it('deleting a project removes its jobs', async () => {
    const id = await project();
    await upload(id, 'project.qgs', QGS);
    const { body: job } = await trigger(owner, { project_id: id, type: 'package' });
    expectStatus(await request(t.http).delete(`${API}/projects/${id}/`).set(auth(owner)), 204);
    expect(await t.sql(`SELECT id FROM jobs WHERE project_id = $1`, [id])).toEqual([]);
    expectError(await request(t.http).get(`${JOBS}${job.id}/`).set(auth(owner)), 404, 'object_not_found');
  });

  it('clears the log (output) of jobs that ended more than JOB_LOG_RETENTION_DAYS ago, keeping their feedback', async () => {
    const id = await project();
    const rows = await t.sql<{ id: string }>(
      `INSERT INTO jobs (project_id, type, status, started_at, finished_at, feedback, output)
       SELECT $1, 'process_projectfile', 'finished', now() - d * interval '1 day', now() - d * interval '1 day', '{"feedback_version": "2.0"}', 'log'
         FROM unnest(ARRAY[91, 89]) AS d RETURNING id`,
      [id],
    );
    // The worker runs this at start and every hour (src/worker/job-worker.service.ts).
    expect(await t.fieldbase.app.get(JobsRepository).clearOldLogs(t.config.jobLogRetentionDays)).toBe(1);
    const [old, recent] = await Promise.all(rows.map((row) => request(t.http).get(`${JOBS}${row.id}/`).set(auth(owner))));
    expect(old.body).toMatchObject({ output: null, feedback: { feedback_version: '2.0' } });
    expect(recent.body).toMatchObject({ output: 'log', feedback: { feedback_version: '2.0' } });
  });

  it('answers 405 to methods the routes do not have', async () => {
    const id = await project();
    const { body: job } = await trigger(owner, { project_id: id, type: 'process_projectfile' });
    expectError(await request(t.http).delete(`${JOBS}${job.id}/`).set(auth(owner)), 405, 'method_not_allowed');
    expectError(await request(t.http).put(JOBS).set(auth(owner)).send({}), 405, 'method_not_allowed');
  });
});
