import { jest } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import request from 'supertest';
import { createProject, getJob, jobEnded, jobProcesses, jobsOf, slowPython, uploadProject, waitFor } from './support/jobs.js';
import { makeProject, type MadeProject } from './support/qgis.js';
import { ProcessCluster } from './support/process-cluster.js';

// The queue of spec §10.3 across real processes: an API server (WORKER=false) and worker-only
// processes (`npm run worker`: dist/src/worker-main.js) on one database and one storage. Two workers
// never run two jobs of a project at once and run a project's jobs in creation order; a worker killed
// with SIGKILL mid-job leaves its job to be ended WORKER_LOST, never stuck busy; a worker stopped with
// SIGTERM hands its job back and the restarted one runs it.
jest.setTimeout(240_000);

describe('the job queue across processes (spec §10.3)', () => {
  let base: string;
  let token: string;
  let db: pg.Pool;
  const made: MadeProject[] = [];
  let small: MadeProject;
  let slow: MadeProject;
  const python = slowPython(120);

  const cluster = new ProcessCluster('queue', { QGIS_PYTHON: python });
  const workers = cluster.workers;
  const startWorker = (more: Record<string, string> = {}) => cluster.startWorker(more);

  beforeAll(async () => {
    ({ base, token, db } = await cluster.start());
    [small, slow] = await Promise.all([
      makeProject({ format: 'qgs', layers: ['points_gpkg'] }),
      makeProject({ format: 'qgs', name: 'slow', layers: ['points_gpkg'] }),
    ]);
    made.push(small, slow);
  });
  afterAll(async () => {
    await cluster.close();
    for (const project of made) fs.rmSync(project.dir, { recursive: true, force: true });
  });

  it("two worker processes never run two jobs of one project at once, run each project's jobs in order, and run projects in parallel", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await createProject(base, token, `queue-${i}`);
      await uploadProject(base, token, id, small); // queues one process_projectfile
      for (let j = 0; j < 2; j++) {
        const res = await request(base)
          .post('/api/v1/jobs/')
          .set('Authorization', `Token ${token}`)
          .type('form')
          .send({ project_id: id, type: 'process_projectfile' });
        expect(res.status).toBe(201);
      }
      ids.push(id);
    }
    await Promise.all([startWorker({ WORKER_CONCURRENCY: '2' }), startWorker({ WORKER_CONCURRENCY: '2' })]);

    const jobs = (await Promise.all(ids.map((id) => jobsOf(base, token, id)))).flat();
    expect(jobs).toHaveLength(9);
    const ended = await Promise.all(jobs.map((job) => jobEnded(base, token, job.id, 180_000)));
    expect(ended.map((job) => job.status)).toEqual(jobs.map(() => 'finished'));

    const span = (job: (typeof ended)[number]) => [new Date(job.started_at).getTime(), new Date(job.finished_at).getTime()];
    const overlap = (a: (typeof ended)[number], b: (typeof ended)[number]) => span(a)[0] < span(b)[1] && span(b)[0] < span(a)[1];
    for (const id of ids) {
      const own = ended.filter((job) => job.project_id === id); // oldest first, as listed
      for (let i = 1; i < own.length; i++) {
        expect(span(own[i])[0]).toBeGreaterThanOrEqual(span(own[i - 1])[1]);
      }
    }
    // Jobs of different projects did run at the same time, and both workers took some.
    expect(ended.some((a) => ended.some((b) => a.project_id !== b.project_id && overlap(a, b)))).toBe(true);
    for (const worker of workers) expect(worker.output).toMatch(/job [0-9a-f-]{36} \(process_projectfile\) finished/);
  });

  it('a worker killed with SIGKILL mid-job: after a restart its job is failed WORKER_LOST and the project is not busy', async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
    const victim = await startWorker({ JOB_LEASE_SECONDS: '3' });
    const id = await createProject(base, token, 'killed');
    await uploadProject(base, token, id, slow);
    const [job] = await jobsOf(base, token, id);
    await waitFor('the job to start', async () => (await getJob(base, token, job.id)).status === 'started', 60_000);
    await victim.stop('SIGKILL');
    workers.splice(workers.indexOf(victim), 1);
    // The slow stand-in's shell is still sleeping, before Python (and the job script's end-with-the-worker
    // signal, docs/jobs.md) starts: it outlives the worker, so the test ends it.
    const orphans = jobProcesses(job.id);
    expect((await getJob(base, token, job.id)).status).toBe('started');

    await startWorker({ JOB_LEASE_SECONDS: '3' });
    const lost = await jobEnded(base, token, job.id, 30_000);
    for (const pid of orphans) process.kill(pid, 'SIGKILL');
    expect(lost).toMatchObject({ status: 'failed', feedback: expect.objectContaining({ error_type: 'WORKER_LOST' }) });
    const project = (await request(base).get(`/api/v1/projects/${id}/`).set('Authorization', `Token ${token}`)).body;
    expect(project).toMatchObject({ status: 'failed', project_details: null });
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM jobs WHERE status IN ('queued', 'started')`);
    expect(rows[0].n).toBe(0);
  });

  it('a worker stopped with SIGTERM mid-job hands the job back; jobs queued while no worker runs wait; the restarted worker runs them', async () => {
    const current = workers.pop() ?? (await startWorker()); // the one restarted above, when the tests run together
    const id = await createProject(base, token, 'restarted');
    await uploadProject(base, token, id, slow);
    const [job] = await jobsOf(base, token, id);
    await waitFor('the job to start', async () => (await getJob(base, token, job.id)).status === 'started', 60_000);
    expect(await current.stop('SIGTERM')).toBe(0);
    expect(jobProcesses(job.id)).toEqual([]);
    expect(await getJob(base, token, job.id)).toMatchObject({ status: 'pending', started_at: null });

    // While no worker runs, new jobs wait (and the project is busy); the slow one is made quick for the restart.
    const other = await createProject(base, token, 'waiting');
    await uploadProject(base, token, other, small);
    const [waiting] = await jobsOf(base, token, other);
    expect((await request(base).get(`/api/v1/projects/${other}/`).set('Authorization', `Token ${token}`)).body.status).toBe('busy');
    await startWorker({ QGIS_PYTHON: '/usr/bin/python3' });
    expect((await jobEnded(base, token, job.id, 60_000)).status).toBe('finished');
    expect((await jobEnded(base, token, waiting.id, 60_000)).status).toBe('finished');
    expect((await request(base).get(`/api/v1/projects/${other}/`).set('Authorization', `Token ${token}`)).body.status).toBe('ok');
  });

  it('a worker stops cleanly on a SIGTERM sent the moment it says it runs', async () => {
    const preload = path.resolve('test/fixtures/sigterm-on-line.cjs');
    const worker = await cluster.spawnWorker({ NODE_OPTIONS: `--require ${preload}`, SIGTERM_ON_LINE: 'Fieldbase worker running' });
    expect(await worker.exit()).toBe(0);
    expect(worker.output).toContain('Fieldbase worker running');
    expect(worker.output).toContain('SIGTERM: handing running jobs back');
    workers.splice(workers.indexOf(worker), 1);
  });
});
