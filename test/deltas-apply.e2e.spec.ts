import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import request from 'supertest';
import { JobWorker } from '../src/worker/job-worker.service.js';
import { deltaRows, insertDeltas, queueApply, standInPython, type NewDelta } from './support/deltas-apply.js';
import { createProject, getJob, jobEnded, jobsOf, uploadFile, uploadProject, waitFor, type Job } from './support/jobs.js';
import { accountId, binary } from './support/kit.js';
import { makeProject, type MadeProject } from './support/qgis.js';
import { auth, startTestApp, type TestApp } from './support/test-app.js';

// The worker's side of delta_apply (spec §10.3, §11.3, DELTAS-CONTRACT) in the server's process, with
// a stand-in for qgis/apply_deltas.py (test/support/deltas-apply.ts) so that crashes, unusable results
// and slow runs can be asked for per delta; every other script runs with real QGIS. What is checked is
// what the worker does with the script's answer: outcomes and new file versions stored in one go on
// success, nothing stored and the deltas retried (then `error`) on failure, nothing ever left busy,
// and each delta applied exactly once.
jest.setTimeout(180_000);

const API = '/api/v1';

describe('the worker applies deltas (spec §11.3) and never loses them (§10.3)', () => {
  let t: TestApp;
  let token: string;
  let ownerId: string;
  let made: MadeProject;
  let standIn: { python: string; dir: string };
  let n = 0;

  beforeAll(async () => {
    standIn = standInPython();
    made = await makeProject({ format: 'qgs', layers: ['points_gpkg'] });
    t = await startTestApp({ WORKER: 'true', WORKER_CONCURRENCY: '2', QGIS_PYTHON: standIn.python });
    token = await t.createPerson('dl_owner');
    ownerId = await accountId(t, 'dl_owner');
    await waitFor('the worker to report QGIS', async () => (await request(t.http).get(`${API}/status/`)).body.worker === 'ok', 60_000);
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(made.dir, { recursive: true, force: true });
    fs.rmSync(standIn.dir, { recursive: true, force: true });
  });

  /** A project with a QGIS file, processed. */
  const newProject = async () => {
    const id = await createProject(t.http, token, `apply-${++n}`);
    await uploadProject(t.http, token, id, made);
    const [processing] = await jobsOf(t.http, token, id);
    expect((await jobEnded(t.http, token, processing.id, 60_000)).status).toBe('finished');
    return id;
  };
  const push = async (projectId: string, clientId: string, deltas: NewDelta[]) => {
    const ids = await insertDeltas(t.sql, projectId, ownerId, clientId, deltas);
    const queued = await queueApply(t, projectId, ownerId);
    return { ids, queued };
  };
  const applyJobs = async (projectId: string) => (await jobsOf(t.http, token, projectId)).filter((job) => job.type === 'delta_apply');
  /** Every apply job of the project ended, and none is left to run. */
  const settled = (projectId: string, timeoutMs = 60_000) =>
    waitFor(
      'the apply jobs to settle',
      async () => {
        const jobs = await applyJobs(projectId);
        const busy = await t.sql(`SELECT 1 FROM deltas WHERE project_id = $1 AND status IN ('pending', 'started')`, [projectId]);
        return jobs.length > 0 && jobs.every((job) => ['finished', 'failed'].includes(job.status)) && busy.length === 0 ? jobs : null;
      },
      timeoutMs,
    );
  const fileOf = async (projectId: string, name: string): Promise<string | null> => {
    const res = await request(t.http).get(`${API}/files/${projectId}/${name}/`).set(auth(token)).buffer(true).parse(binary);
    return res.status === 200 ? (res.body as Buffer).toString('utf8') : null;
  };
  const versionsOf = (projectId: string, name: string) =>
    t.sql<{ uploaded_by_id: string | null; size: string }>(
      `SELECT v.uploaded_by_id, v.size FROM file_versions v JOIN project_files f ON f.id = v.file_id WHERE f.project_id = $1 AND f.name = $2`,
      [projectId, name],
    );
  const projectRow = async (projectId: string) =>
    (
      await t.sql<{ data_last_updated_at: Date; file_storage_bytes: string }>(`SELECT data_last_updated_at, file_storage_bytes FROM projects WHERE id = $1`, [
        projectId,
      ])
    )[0];
  const storedBytes = async (projectId: string) =>
    (
      await t.sql<{ sum: string }>(
        `SELECT coalesce(sum(v.size), 0)::bigint AS sum FROM file_versions v JOIN project_files f ON f.id = v.file_id WHERE f.project_id = $1`,
        [projectId],
      )
    )[0].sum;
  const lines = (log: string | null) => (log ?? '').split('\n').filter(Boolean);

  it("stores each delta's outcome and the changed data file as a new version, with the job's end; job.json carries what the script needs", async () => {
    const id = await newProject();
    const before = await projectRow(id);
    const { ids, queued } = await push(id, 'device-a', [
      { method: 'create' },
      { method: 'patch' },
      { method: 'patch', test: 'conflict' },
      { method: 'delete', test: 'not_applied' },
    ]);
    expect(queued.kind).toBe('created');
    const [job] = (await settled(id)) as Job[];
    const ended = await getJob(t.http, token, job.id);
    expect([ended.status, ended.feedback.error, ended.output]).toEqual(['finished', undefined, expect.any(String)]);
    expect(ended.created_by).toBe('dl_owner');
    expect(ended.feedback.error).toBeUndefined();

    const input = ended.feedback.outputs.stand_in_job;
    expect(input).toMatchObject({
      id: job.id,
      type: 'delta_apply',
      project_id: id,
      project_file: made.project_file,
      overwrite_conflicts: true,
      created_features: [],
    });
    expect(input.deltas.map((delta: { id: string }) => delta.id)).toEqual(ids);
    expect(input.deltas[0]).toEqual({
      id: ids[0],
      client_id: 'device-a',
      content: expect.objectContaining({ uuid: ids[0], clientId: 'device-a', method: 'create' }),
    });

    const rows = await deltaRows(t.sql, ids);
    expect(rows.map((row) => [row.status, row.modified_pk, row.job_id])).toEqual([
      ['applied', '1000', job.id],
      ['applied', null, job.id],
      ['conflict', null, job.id],
      ['not_applied', null, job.id],
    ]);
    expect(rows[2].last_feedback).toEqual({ msg: 'conflict by the stand-in', conflicts: [{ field: 'name', old: 'a', current: 'b', new: 'c' }] });
    expect(rows[0].last_feedback).toEqual({ msg: 'applied by the stand-in', conflicts: [] });

    // The changed file is a new version, stored by no person; the accounting follows the rows; the
    // worker's own upload queues no processing.
    expect(lines(await fileOf(id, 'applied.log'))).toEqual([`device-a ${ids[0]} create`, `device-a ${ids[1]} patch`]);
    expect(await versionsOf(id, 'applied.log')).toEqual([{ uploaded_by_id: null, size: expect.any(String) }]);
    const after = await projectRow(id);
    expect(after.file_storage_bytes).toBe(await storedBytes(id));
    expect(Number(after.file_storage_bytes)).toBeGreaterThan(Number(before.file_storage_bytes));
    expect(after.data_last_updated_at.getTime()).toBeGreaterThan(before.data_last_updated_at.getTime());
    expect((await jobsOf(t.http, token, id)).map((j) => j.type)).toEqual(['process_projectfile', 'delta_apply']);

    // The next push of the device: its job is told the features created before, and the project's
    // overwrite_conflicts; its file builds on the version stored above.
    await t.sql(`UPDATE projects SET overwrite_conflicts = false WHERE id = $1`, [id]);
    const next = await push(id, 'device-a', [{ method: 'patch', localPk: '1' }]);
    const jobs = await settled(id);
    const second = await getJob(t.http, token, jobs[1].id);
    expect(second.status).toBe('finished');
    expect(second.feedback.outputs.stand_in_job).toMatchObject({
      overwrite_conflicts: false,
      created_features: [{ client_id: 'device-a', layer_id: 'points_layer', local_pk: '1', modified_pk: '1000' }],
    });
    expect(lines(await fileOf(id, 'applied.log'))).toEqual([`device-a ${ids[0]} create`, `device-a ${ids[1]} patch`, `device-a ${next.ids[0]} patch`]);
  });

  it('a job that applied nothing stores no file and leaves data_last_updated_at; a new safe path becomes a project file', async () => {
    const id = await newProject();
    const before = await projectRow(id);
    await push(id, 'device-b', [{ test: 'conflict' }, { test: 'error' }]);
    await settled(id);
    expect(await fileOf(id, 'applied.log')).toBeNull();
    expect((await projectRow(id)).data_last_updated_at).toEqual(before.data_last_updated_at);

    await push(id, 'device-b', [{ test: 'list:notes/new.txt' }]);
    await settled(id);
    expect(await fileOf(id, 'notes/new.txt')).toBe('made by the stand-in');
  });

  it("the owner's quota does not refuse the worker's versions (spec §11.3)", async () => {
    const id = await newProject();
    const { ids } = await push(id, 'device-q', [{}]);
    await t.sql(`UPDATE accounts SET storage_quota_bytes = 1 WHERE id = $1`, [ownerId]);
    try {
      await settled(id);
      expect((await deltaRows(t.sql, ids))[0].status).toBe('applied');
      expect(lines(await fileOf(id, 'applied.log'))).toHaveLength(1);
    } finally {
      await t.sql(`UPDATE accounts SET storage_quota_bytes = NULL WHERE id = $1`, [ownerId]);
    }
  });

  it('deltas that waited while the owner was over quota get a job once storage is freed, without another push', async () => {
    const id = await newProject();
    await t.sql(`UPDATE accounts SET storage_quota_bytes = 1 WHERE id = $1`, [ownerId]);
    let ids: string[];
    try {
      const pushed = await push(id, 'device-w', [{}]);
      ids = pushed.ids;
      expect(pushed.queued.kind).toBe('over_quota');
      expect((await deltaRows(t.sql, ids))[0]).toMatchObject({ status: 'pending', job_id: null, last_feedback: { msg: expect.stringContaining('quota') } });
    } finally {
      await t.sql(`UPDATE accounts SET storage_quota_bytes = NULL WHERE id = $1`, [ownerId]);
    }
    await settled(id, 60_000);
    expect((await deltaRows(t.sql, ids))[0]).toMatchObject({ status: 'applied', attempts: 0 });
  });

  it('deltas are busy while their job runs; deleting the project mid-job removes job and deltas, and the worker goes on', async () => {
    const id = await newProject();
    const { ids } = await push(id, 'device-c', [{ test: 'slow:60' }, {}]);
    const [job] = await applyJobs(id);
    await waitFor('the job to start', async () => (await getJob(t.http, token, job.id)).status === 'started', 30_000);
    expect((await deltaRows(t.sql, ids)).map((row) => row.status)).toEqual(['started', 'started']);
    expect((await request(t.http).delete(`${API}/projects/${id}/`).set(auth(token))).status).toBe(204);
    expect(await t.sql(`SELECT id FROM deltas WHERE id = ANY($1::uuid[]) UNION ALL SELECT id FROM jobs WHERE id = $2`, [ids, job.id])).toEqual([]);

    const other = await newProject();
    const again = await push(other, 'device-c', [{}]);
    await settled(other);
    expect((await deltaRows(t.sql, again.ids))[0].status).toBe('applied');
  });

  it('a crashed script: the job fails, nothing is stored, and a new job applies the deltas exactly once', async () => {
    const id = await newProject();
    const { ids } = await push(id, 'device-d', [{ test: 'crash_once' }, {}]);
    const jobs = await settled(id);
    expect(jobs.map((job) => job.status)).toEqual(['failed', 'finished']);
    const crashed = await getJob(t.http, token, jobs[0].id);
    expect(crashed.feedback).toMatchObject({ error_type: 'UNKNOWN', error: expect.stringContaining('SIGKILL') });
    const rows = await deltaRows(t.sql, ids);
    expect(rows.map((row) => [row.status, row.attempts, row.job_id])).toEqual([
      ['applied', 1, jobs[1].id],
      ['applied', 1, jobs[1].id],
    ]);
    expect(lines(await fileOf(id, 'applied.log'))).toEqual([`device-d ${ids[0]} create`, `device-d ${ids[1]} create`]);
    expect(await versionsOf(id, 'applied.log')).toHaveLength(1);
  });

  it('a job that fails every time: three attempts, then every delta of it ends error with a message; no file is stored', async () => {
    const id = await newProject();
    const before = await projectRow(id);
    const { ids } = await push(id, 'device-e', [{ test: 'job_error' }, {}]);
    const jobs = await settled(id);
    expect(jobs.map((job) => job.status)).toEqual(['failed', 'failed', 'failed']);
    expect((await getJob(t.http, token, jobs[0].id)).feedback).toMatchObject({ error_type: 'INVALID_PROJECT_FILE' });
    const rows = await deltaRows(t.sql, ids);
    for (const row of rows) {
      expect(row).toMatchObject({ status: 'error', attempts: 3, job_id: jobs[2].id });
      expect(row.last_feedback!.msg).toContain('The project could not be read');
      expect(row.last_feedback!.msg).toContain('3 apply jobs');
    }
    expect(await fileOf(id, 'applied.log')).toBeNull();
    expect(await projectRow(id)).toEqual(before);
  });

  it('an unusable result is a failed job, never a partial store: crash, feedback missing, twice or odd, files outside the contract', async () => {
    const id = await newProject();
    const cases: [string, string][] = [
      ['crash', 'exited with status 1'],
      ['drop_feedback', 'lacks 1 delta'],
      ['listed_twice', 'listed twice'],
      ['weird', 'has the status "weird"'],
      ['list:../outside.txt', 'not a valid project file path'],
      ['list:applied.log-wal', 'a database side file'],
      [`list:${made.project_file}`, 'never changes the QGIS project file'],
      ['list:link.txt', 'not a file inside files/'],
    ];
    for (const [test, reason] of cases) {
      const { ids } = await push(id, 'device-f', [{}, { test }]);
      const jobs = await settled(id);
      const last = await getJob(t.http, token, jobs[jobs.length - 1].id);
      expect([test, last.status, last.feedback.error]).toEqual([test, 'failed', expect.stringContaining(reason)]);
      expect((await deltaRows(t.sql, ids)).map((row) => [row.status, row.attempts])).toEqual([
        ['error', 3],
        ['error', 3],
      ]);
    }
    expect(await t.sql(`SELECT name FROM project_files WHERE project_id = $1 AND name NOT IN ($2, 'points.gpkg')`, [id, made.project_file])).toEqual([]);
  });

  it('a file uploaded while the job ran is not overwritten: the deltas are applied again, to the new version', async () => {
    const id = await newProject();
    const first = await push(id, 'device-g', [{}]);
    await settled(id);
    const { ids } = await push(id, 'device-g', [{ test: 'slow:4' }]);
    const [, job] = await applyJobs(id);
    await waitFor('the job to start', async () => (await getJob(t.http, token, job.id)).status === 'started', 30_000);
    await uploadFile(t.http, token, id, 'applied.log', Buffer.from('from the office\n'));
    const jobs = await settled(id);
    expect(jobs.filter((j) => j.type === 'delta_apply').map((j) => j.status)).toEqual(['finished', 'failed', 'finished']);
    expect((await getJob(t.http, token, job.id)).feedback.error).toContain('changed while the job ran');
    expect(lines(await fileOf(id, 'applied.log'))).toEqual(['from the office', `device-g ${ids[0]} create`]);
    expect(first.ids).toHaveLength(1);
  });

  it('two devices pushing to one project at once: their jobs run one after the other and every delta is applied once', async () => {
    const id = await newProject();
    const devices = ['device-h1', 'device-h2'];
    const pushed = await Promise.all(devices.map((device) => push(id, device, [{}, { method: 'patch' }, {}])));
    const jobs = await settled(id);
    const ids = pushed.flatMap((p) => p.ids);
    expect((await deltaRows(t.sql, ids)).every((row) => row.status === 'applied')).toBe(true);
    const log = lines(await fileOf(id, 'applied.log'));
    expect(log).toHaveLength(6);
    for (const deltaId of ids) expect(log.filter((line) => line.includes(deltaId))).toHaveLength(1);
    const spans = jobs.map((job) => [new Date(job.started_at).getTime(), new Date(job.finished_at).getTime()]);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
  });

  it('a lost apply job (WORKER_LOST): its deltas go back to pending and a new job applies them once; the third loss ends them error', async () => {
    // A job claimed by a worker that vanished: its lease lapsed while it and its deltas were busy.
    const lose = async (projectId: string, clientId: string, attempts: number) => {
      const ids = await insertDeltas(t.sql, projectId, ownerId, clientId, [{}, {}]);
      const [job] = await t.sql<{ id: string }>(
        `INSERT INTO jobs (project_id, type, created_by_id, status, worker_id, lease_expires_at, started_at)
         VALUES ($1, 'delta_apply', $2, 'started', $3, now() - interval '1 second', now()) RETURNING id`,
        [projectId, ownerId, randomUUID()],
      );
      await t.sql(`UPDATE deltas SET job_id = $2, status = 'started', attempts = $3 WHERE id = ANY($1::uuid[])`, [ids, job.id, attempts]);
      return { ids, job: job.id };
    };
    const id = await newProject();
    const once = await lose(id, 'device-i', 0);
    let jobs = await settled(id);
    expect((await getJob(t.http, token, once.job)).feedback).toMatchObject({ error_type: 'WORKER_LOST' });
    expect(jobs.map((job) => job.status)).toEqual(['failed', 'finished']);
    expect((await deltaRows(t.sql, once.ids)).map((row) => [row.status, row.attempts, row.job_id])).toEqual([
      ['applied', 1, jobs[1].id],
      ['applied', 1, jobs[1].id],
    ]);
    expect(lines(await fileOf(id, 'applied.log'))).toHaveLength(2);

    const third = await lose(id, 'device-i', 2);
    jobs = await settled(id);
    expect(jobs).toHaveLength(3);
    const rows = await deltaRows(t.sql, third.ids);
    for (const row of rows) {
      expect(row).toMatchObject({ status: 'error', attempts: 3, job_id: third.job });
      expect(row.last_feedback!.msg).toContain('WORKER_LOST');
    }
    expect(lines(await fileOf(id, 'applied.log'))).toHaveLength(2);
  });

  it('a worker stopping cleanly hands its apply job back (deltas pending, still its own); started again, it applies them once', async () => {
    const id = await newProject();
    const { ids } = await push(id, 'device-j', [{ test: 'slow:5' }, {}]);
    const [job] = await applyJobs(id);
    await waitFor('the job to start', async () => (await getJob(t.http, token, job.id)).status === 'started', 30_000);
    const worker = t.fieldbase.app.get(JobWorker);
    await worker.beforeApplicationShutdown();
    expect(await getJob(t.http, token, job.id)).toMatchObject({ status: 'pending', started_at: null });
    expect((await deltaRows(t.sql, ids)).map((row) => [row.status, row.job_id, row.attempts])).toEqual([
      ['pending', job.id, 0],
      ['pending', job.id, 0],
    ]);
    worker.start();
    const jobs = await settled(id);
    expect(jobs.map((j) => [j.id, j.status])).toEqual([[job.id, 'finished']]);
    expect(lines(await fileOf(id, 'applied.log'))).toHaveLength(2);
  });
});

describe('apply jobs on a worker that cannot start QGIS', () => {
  let t: TestApp;
  let made: MadeProject;

  beforeAll(async () => {
    made = await makeProject({ format: 'qgs', layers: ['points_gpkg'] });
    t = await startTestApp({ WORKER: 'true', QGIS_PYTHON: '/nonexistent/python3' });
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(made.dir, { recursive: true, force: true });
  });

  it('fail MISSING_QGIS without costing the deltas an attempt: they wait, pending, saying why, for a worker that can', async () => {
    const token = await t.createPerson('nq_deltas');
    const ownerId = await accountId(t, 'nq_deltas');
    const id = await createProject(t.http, token, 'no-qgis-deltas');
    await uploadProject(t.http, token, id, made);
    const ids = await insertDeltas(t.sql, id, ownerId, 'device-n', [{}, {}]);
    const queued = await queueApply(t, id, ownerId);
    expect(queued.kind).toBe('created');
    const jobId = queued.kind === 'created' ? queued.jobs[0].id : '';
    expect((await jobEnded(t.http, token, jobId)).feedback).toMatchObject({ error_type: 'MISSING_QGIS' });
    const rows = await deltaRows(t.sql, ids);
    for (const row of rows) {
      expect(row).toMatchObject({ status: 'pending', job_id: null, attempts: 0 });
      expect(row.last_feedback!.msg).toContain('python3-qgis');
    }
    // No job is queued for them here: it would fail the same way at once.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await jobsOf(t.http, token, id)).filter((job) => job.type === 'delta_apply')).toHaveLength(1);
  });
});
