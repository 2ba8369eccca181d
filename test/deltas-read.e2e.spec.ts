import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DELTA_ROW_FIELDS, delta, deltafile, projectWithQgisFile, pushDeltas, type Json } from './support/deltafiles.js';
import { expectError, expectStatus } from './support/expectations.js';
import { shareProject } from './support/kit.js';
import { OpenApiResponseValidator } from './support/openapi-validator.js';
import { auth, startTestApp, type TestApp } from './support/test-app.js';

// Spec §11.2 (listing deltas, one delta file's rows, the deprecated apply route), §10.2 (POST /jobs/
// with type=delta_apply), §7 (pagination), §6.4 (who reads them). No worker runs: jobs stay pending.
// Rules the spec leaves open are in docs/deltas.md ("Listing").

const API = '/api/v1';

describe('listing deltas and applying them on request (spec §11.2, §10.2)', () => {
  let t: TestApp;
  let owner: string;
  let reporter: string;
  let reader: string;
  let stranger: string;
  let n = 0;

  const project = (fields: Json = {}) => projectWithQgisFile(t, owner, `read-${++n}`, fields);
  const get = (path: string, token = owner) => request(t.http).get(`${API}${path}`).set(auth(token));
  const push = async (projectId: string, deltas: Json[], token = owner) => {
    const file = deltafile(projectId, deltas);
    expectStatus(await pushDeltas(t, token, projectId, file), 200);
    return file;
  };
  const applyJobs = (projectId: string) =>
    t.sql<{ id: string }>(`SELECT id FROM jobs WHERE project_id = $1 AND type = 'delta_apply' ORDER BY created_at, id`, [projectId]);
  const applyByJobs = (token: string, projectId: string) =>
    request(t.http).post(`${API}/jobs/`).set(auth(token)).send({ project_id: projectId, type: 'delta_apply' });
  const applyDeprecated = (token: string, projectId: string) => request(t.http).post(`${API}/deltas/apply/${projectId}/`).set(auth(token));
  /** Deltas pushed while the owner was over quota: pending, held by no job. */
  const pushWithoutJob = async (projectId: string, deltas: Json[]) => {
    await t.sql(`UPDATE accounts SET storage_quota_bytes = 1 WHERE username = 'dr_owner'`);
    try {
      return await push(projectId, deltas);
    } finally {
      await t.sql(`UPDATE accounts SET storage_quota_bytes = NULL WHERE username = 'dr_owner'`);
    }
  };

  beforeAll(async () => {
    t = await startTestApp();
    [owner, reporter, reader, stranger] = await Promise.all(['dr_owner', 'dr_reporter', 'dr_reader', 'dr_stranger'].map((name) => t.createPerson(name)));
  });
  afterAll(async () => {
    await t?.close();
  });

  it("GET /deltas/{p}/: the project's deltas, oldest first, or newest first with ordering=-created_at; pagination of §7", async () => {
    const id = await project();
    const first = await push(id, [delta('create'), delta('create')]);
    const second = await push(id, [delta('patch'), delta('delete'), delta('create')]);
    const pushed = [...first.deltas, ...second.deltas].map((d) => d.uuid);

    const all = await get(`/deltas/${id}/`);
    expectStatus(all, 200);
    expect(all.body.map((row: Json) => row.id)).toEqual(pushed);
    expect(Object.keys(all.body[0])).toEqual(DELTA_ROW_FIELDS);
    expect(all.headers['x-total-count']).toBeUndefined();
    expect((await get(`/deltas/${id}?ordering=created_at`)).body.map((row: Json) => row.id)).toEqual(pushed);
    expect((await get(`/deltas/${id}/?ordering=-created_at`)).body.map((row: Json) => row.id)).toEqual([...pushed].reverse());

    const page = await get(`/deltas/${id}/?ordering=-created_at&limit=2&offset=1`);
    expectStatus(page, 200);
    expect(page.body.map((row: Json) => row.id)).toEqual([pushed[3], pushed[2]]);
    expect(page.headers['x-total-count']).toBe('5');
    expect(page.headers['x-next-page']).toMatch(/\/api\/v1\/deltas\/[^?]+\/\?ordering=-created_at&limit=2&offset=3$/);
    expect(page.headers['x-previous-page']).toMatch(/\?ordering=-created_at&limit=2$/);
    expect((await get(`/deltas/${id}/?limit=2&offset=10`)).body).toEqual([]);

    expectError(await get(`/deltas/${id}/?ordering=seq`), 400, 'validation_error', 'ordering');
    expectError(await get(`/deltas/${id}/?limit=-1`), 400, 'validation_error', 'limit');
    expect((await get(`/deltas/${await project()}/`)).body).toEqual([]);
  });

  it('GET /deltas/{p}/{deltafile}/: the rows first pushed with that file, in file order; unknown, foreign or empty files 404; malformed 400', async () => {
    const id = await project();
    const file = await push(id, [delta('create'), delta('delete'), delta('patch')]);
    const res = await get(`/deltas/${id}/${file.id.toUpperCase()}`);
    expectStatus(res, 200);
    expect(res.body.map((row: Json) => row.id)).toEqual(file.deltas.map((d: Json) => d.uuid));
    expect(res.body.every((row: Json) => row.deltafile_id === file.id)).toBe(true);

    expectError(await get(`/deltas/${id}/${randomUUID()}/`), 404, 'object_not_found');
    expectError(await get(`/deltas/${id}/not-a-uuid/`), 400, 'validation_error', 'deltafileId');
    // Another project's delta file is not found through this one.
    const other = await project();
    expectError(await get(`/deltas/${other}/${file.id}/`), 404, 'object_not_found');
    // A file that brought nothing new (only deltas stored before) has no rows of its own.
    const repeat = await push(id, [file.deltas[0]]);
    expectError(await get(`/deltas/${id}/${repeat.id}/`), 404, 'object_not_found');
    const empty = await push(id, []);
    expectError(await get(`/deltas/${id}/${empty.id}/`), 404, 'object_not_found');
  });

  it('shows every stored status as QField expects it: STATUS_* and last_status, `started` as STATUS_BUSY', async () => {
    const id = await project();
    const statuses = ['pending', 'started', 'applied', 'conflict', 'not_applied', 'error', 'ignored', 'unpermitted'];
    const file = await push(
      id,
      statuses.map(() => delta('create')),
    );
    for (const [i, status] of statuses.entries()) {
      await t.sql(`UPDATE deltas SET status = $2, last_feedback = $3, output = $4 WHERE id = $1`, [
        file.deltas[i].uuid,
        status,
        JSON.stringify({ msg: `it is ${status}`, conflicts: [] }),
        `log of ${status}`,
      ]);
    }
    const res = await get(`/deltas/${id}/${file.id}/`);
    expect(res.body.map((row: Json) => [row.status, row.last_status, row.last_feedback.msg, row.output])).toEqual([
      ['STATUS_PENDING', 'pending', 'it is pending', 'log of pending'],
      ['STATUS_BUSY', 'started', 'it is started', 'log of started'],
      ['STATUS_APPLIED', 'applied', 'it is applied', 'log of applied'],
      ['STATUS_CONFLICT', 'conflict', 'it is conflict', 'log of conflict'],
      ['STATUS_NOT_APPLIED', 'not_applied', 'it is not_applied', 'log of not_applied'],
      ['STATUS_ERROR', 'error', 'it is error', 'log of error'],
      ['STATUS_IGNORED', 'ignored', 'it is ignored', 'log of ignored'],
      ['STATUS_UNPERMITTED', 'unpermitted', 'it is unpermitted', 'log of unpermitted'],
    ]);
  });

  it('roles (§6.4): admins to reporters list; readers and strangers 403; template projects 403 for everyone; unknown project 404', async () => {
    const id = await project({ is_public: true });
    await shareProject(t, owner, id, 'dr_reporter', 'reporter');
    await shareProject(t, owner, id, 'dr_reader', 'reader');
    const file = await push(id, [delta('create')]);
    for (const token of [owner, reporter]) {
      expectStatus(await get(`/deltas/${id}/`, token), 200);
      expectStatus(await get(`/deltas/${id}/${file.id}/`, token), 200);
    }
    for (const token of [reader, stranger]) {
      expectError(await get(`/deltas/${id}/`, token), 403, 'permission_denied');
      expectError(await get(`/deltas/${id}/${file.id}/`, token), 403, 'permission_denied');
    }
    expectError(await request(t.http).get(`${API}/deltas/${id}/`), 401, 'not_authenticated');
    const template = await project({ project_type: 'template' });
    expectError(await get(`/deltas/${template}/`), 403, 'permission_denied');
    expectError(await get(`/deltas/${template}/${randomUUID()}/`), 403, 'permission_denied');
    expectError(await get(`/deltas/${randomUUID()}/`), 404, 'object_not_found');
  });

  it('POST /jobs/ delta_apply: 201 with a new job for pending deltas no job holds, 200 with the active one, 400 with nothing pending', async () => {
    const id = await project();
    expectError(await applyByJobs(owner, id), 400, 'no_deltas_to_apply');
    const file = await pushWithoutJob(id, [delta('create'), delta('create')]);
    expect(await applyJobs(id)).toEqual([]);

    const created = await applyByJobs(owner, id);
    expectStatus(created, 201);
    expect(created.body).toMatchObject({ project_id: id, type: 'delta_apply', status: 'pending', created_by: 'dr_owner' });
    const held = await t.sql<{ job_id: string; last_feedback: unknown }>(`SELECT job_id, last_feedback FROM deltas WHERE deltafile_id = $1`, [file.id]);
    expect(held).toEqual([
      { job_id: created.body.id, last_feedback: null },
      { job_id: created.body.id, last_feedback: null },
    ]);
    // Nothing left to hand out: the active apply job.
    const active = await applyByJobs(owner, id);
    expectStatus(active, 200);
    expect(active.body).toEqual(created.body);
    const form = await request(t.http).post(`${API}/jobs/`).set(auth(owner)).type('form').send({ project_id: id.toUpperCase(), type: 'delta_apply' });
    expectStatus(form, 200);
    expect(form.body.id).toBe(created.body.id);
    // Once it ended and nothing is pending: 400.
    await t.sql(`UPDATE jobs SET status = 'finished', finished_at = now() WHERE id = $1`, [created.body.id]);
    await t.sql(`UPDATE deltas SET status = 'applied' WHERE deltafile_id = $1`, [file.id]);
    expectError(await applyByJobs(owner, id), 400, 'no_deltas_to_apply');
    expect(await applyJobs(id)).toEqual([{ id: created.body.id }]);
  });

  it('POST /deltas/apply/{p}/ (deprecated) does the same, answering 200 with the job; roles, QGIS file and quota as POST /jobs/', async () => {
    const id = await project();
    await shareProject(t, owner, id, 'dr_reporter', 'reporter');
    await shareProject(t, owner, id, 'dr_reader', 'reader');
    expectError(await applyDeprecated(owner, id), 400, 'no_deltas_to_apply');
    await pushWithoutJob(id, [delta('create')]);
    expectError(await applyDeprecated(reader, id), 403, 'permission_denied');
    expectError(await applyDeprecated(stranger, id), 403, 'permission_denied');
    await t.sql(`UPDATE accounts SET storage_quota_bytes = 1 WHERE username = 'dr_owner'`);
    try {
      expectError(await applyDeprecated(reporter, id), 402, 'over_quota');
    } finally {
      await t.sql(`UPDATE accounts SET storage_quota_bytes = NULL WHERE username = 'dr_owner'`);
    }
    expect(await applyJobs(id)).toEqual([]);
    const created = await applyDeprecated(reporter, id.toUpperCase());
    expectStatus(created, 200);
    expect(created.body).toMatchObject({ project_id: id, type: 'delta_apply', status: 'pending', created_by: 'dr_reporter' });
    expect((await request(t.http).post(`${API}/deltas/apply/${id}`).set(auth(owner))).body.id).toBe(created.body.id);

    const bare = (
      await request(t.http)
        .post(`${API}/projects/`)
        .set(auth(owner))
        .send({ name: `read-bare-${++n}` })
    ).body.id;
    expectError(await applyDeprecated(owner, bare), 400, 'no_qgis_project');
    expectError(await applyDeprecated(owner, randomUUID()), 404, 'object_not_found');
    expectError(await applyDeprecated(owner, 'nope'), 400, 'validation_error', 'projectId');
  });

  it('answers what the OpenAPI document declares (rows, lists, pushes, apply, and their errors)', async () => {
    const document = (await request(t.http).get(`${API}/openapi.json`)).body;
    const validator = new OpenApiResponseValidator(document);
    const check = (method: string, route: string, res: request.Response) =>
      validator.validate({ method, route, status: res.status, headers: new Headers(res.headers as Record<string, string>), body: res.text ?? '' });
    const id = await project();
    const pushed = await pushDeltas(t, owner, id, deltafile(id, [delta('create'), delta('patch')]));
    const file = pushed.body[0].deltafile_id;
    await t.sql(`UPDATE deltas SET last_feedback = '{"msg": "done", "conflicts": []}', output = 'log' WHERE deltafile_id = $1`, [file]);
    const problems = [
      check('POST', '/api/v1/deltas/{projectId}', pushed),
      check('POST', '/api/v1/deltas/{projectId}', await pushDeltas(t, owner, id, '{')),
      check('POST', '/api/v1/deltas/{projectId}', await pushDeltas(t, owner, id, null)),
      check('GET', '/api/v1/deltas/{projectId}', await get(`/deltas/${id}/?limit=1`)),
      check('GET', '/api/v1/deltas/{projectId}', await get(`/deltas/${id}/?ordering=x`)),
      check('GET', '/api/v1/deltas/{projectId}/{deltafileId}', await get(`/deltas/${id}/${file}/`)),
      check('GET', '/api/v1/deltas/{projectId}/{deltafileId}', await get(`/deltas/${id}/${randomUUID()}/`)),
      check('POST', '/api/v1/deltas/apply/{projectId}', await applyDeprecated(owner, id)),
      check('POST', '/api/v1/deltas/apply/{projectId}', await applyDeprecated(reader, id)),
    ].flat();
    expect(problems).toEqual([]);
  });
});
