import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { deltaRows } from './support/deltas-apply.js';
import { createProject, getJob, jobEnded, jobProcesses, jobsOf, slowPython, uploadProject, waitFor } from './support/jobs.js';
import { makeProject, type MadeProject } from './support/qgis.js';
import { ProcessCluster } from './support/process-cluster.js';

// Nothing lost, nothing twice (issue 16.4, spec §10.3) with the real qgis/apply_deltas.py and real
// QGIS, across processes: deltas pushed as QField pushes them (POST /deltas/) to an API server
// (WORKER=false), applied by worker-only processes on one database and one storage. A worker killed
// with SIGKILL in the middle of an apply job, or stopped with SIGTERM, leaves deltas that the next
// worker applies exactly once: the GeoPackage holds each created feature once. Two devices pushing at
// once are applied one job after the other, every feature once.
jest.setTimeout(300_000);

/** The features of the GeoPackage layer `points` whose name starts with `prefix`, by name (sqlite3 of Python's standard library). */
function featuresNamed(gpkg: Buffer, prefix: string): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-gpkg-'));
  try {
    const file = path.join(dir, 'points.gpkg');
    fs.writeFileSync(file, gpkg);
    const script = `import json, sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nprint(json.dumps([r[0] for r in c.execute("SELECT name FROM points WHERE name LIKE ? ORDER BY name", (sys.argv[2] + "%",))]))`;
    const run = spawnSync('/usr/bin/python3', ['-c', script, file, prefix], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`reading the GeoPackage failed: ${run.stderr}`);
    return JSON.parse(run.stdout) as string[];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('apply jobs across worker crashes and restarts (issue 16.4, spec §10.3)', () => {
  let base: string;
  let token: string;
  let made: MadeProject;
  const python = slowPython(120);

  const cluster = new ProcessCluster('apply-process', { QGIS_PYTHON: python, JOB_LEASE_SECONDS: '3' });
  const workers = cluster.workers;
  const startWorker = (more: Record<string, string> = {}) => cluster.startWorker(more);
  const sql = <T = Record<string, unknown>>(text: string, params?: unknown[]) => cluster.sql<T>(text, params);

  /** Creates as QField does: one feature per name on the points layer, with geometry (a "slow" name makes the job sleep first). */
  const creates = (names: string[]) =>
    names.map((name, i) => ({
      method: 'create' as const,
      localLayerId: made.layer_ids.points_gpkg,
      sourceLayerId: made.layer_ids.points_gpkg,
      localPk: String(100 + i),
      sourcePk: '',
      new: { attributes: { name, count: i, height: 1.25, observed: '2026-03-01' }, geometry: `POINT(7.${i + 1} 46.5)` },
    }));
  /** Pushes the deltas as QField does (POST /deltas/, one delta file); their ids, and the apply job the push made. */
  const push = async (projectId: string, clientId: string, deltas: Record<string, unknown>[]) => {
    const withIds = deltas.map((delta) => ({ uuid: randomUUID(), clientId, ...delta }));
    const file = { version: '1.0', id: randomUUID(), project: projectId, files: [], deltas: withIds };
    const res = await request(base)
      .post(`/api/v1/deltas/${projectId}/`)
      .set('Authorization', `Token ${token}`)
      .field('text', '{}')
      .attach('file', Buffer.from(JSON.stringify(file)), '/storage/emulated/0/QField/deltas.json');
    expect(res.status).toBe(200);
    const ids = withIds.map((delta) => delta.uuid);
    const [{ job_id: jobId }] = await sql<{ job_id: string }>(`SELECT job_id FROM deltas WHERE id = $1`, [ids[0]]);
    return { ids, jobId };
  };
  const gpkg = async (projectId: string) =>
    (
      await request(base)
        .get(`/api/v1/files/${projectId}/points.gpkg/`)
        .set('Authorization', `Token ${token}`)
        .buffer(true)
        .parse((res, done) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => done(null, Buffer.concat(chunks)));
        })
    ).body as Buffer;
  const newProject = async (name: string) => {
    const id = await createProject(base, token, name);
    await uploadProject(base, token, id, made);
    const [processing] = await jobsOf(base, token, id);
    expect((await jobEnded(base, token, processing.id, 120_000)).status).toBe('finished');
    return id;
  };

  beforeAll(async () => {
    ({ base, token } = await cluster.start());
    made = await makeProject({ format: 'qgs', layers: ['points_gpkg'] });
  });
  afterAll(async () => {
    await cluster.close();
    if (made) fs.rmSync(made.dir, { recursive: true, force: true });
  });

  it('kill -9 of the worker mid-apply: after a restart the deltas are applied exactly once (not twice, not lost)', async () => {
    const victim = await startWorker();
    const id = await newProject('killed-mid-apply');
    const names = ['slow kill 1', 'slow kill 2', 'slow kill 3'];
    const { ids, jobId } = await push(id, 'device-k', creates(names));
    await waitFor('the apply job to start', async () => (await getJob(base, token, jobId)).status === 'started', 60_000);
    expect((await deltaRows(sql, ids)).map((row) => row.status)).toEqual(['started', 'started', 'started']);

    await victim.stop('SIGKILL');
    workers.splice(workers.indexOf(victim), 1);
    // The slow stand-in's shell is still sleeping, before Python (and the job script's end-with-the-worker
    // signal, docs/jobs.md) starts: it outlives the worker, so the test ends it.
    for (const pid of jobProcesses(jobId)) process.kill(pid, 'SIGKILL');
    expect((await getJob(base, token, jobId)).status).toBe('started');

    await startWorker({ QGIS_PYTHON: '/usr/bin/python3' });
    expect(await jobEnded(base, token, jobId, 60_000)).toMatchObject({ status: 'failed', feedback: expect.objectContaining({ error_type: 'WORKER_LOST' }) });
    const applied = await waitFor(
      'the deltas to be applied by a new job',
      async () => {
        const rows = await deltaRows(sql, ids);
        return rows.every((row) => row.status === 'applied') ? rows : null;
      },
      120_000,
    );
    const retry = applied[0].job_id!;
    expect(retry).not.toBe(jobId);
    expect(applied.map((row) => [row.attempts, row.job_id])).toEqual(ids.map(() => [1, retry]));
    expect(new Set(applied.map((row) => row.modified_pk)).size).toBe(3);
    expect((await getJob(base, token, retry)).status).toBe('finished');
    expect(featuresNamed(await gpkg(id), 'slow kill')).toEqual(names);
    expect(await sql(`SELECT id FROM jobs WHERE status IN ('queued', 'started')`)).toEqual([]);
  });

  it('SIGTERM of the worker mid-apply hands the job back with its deltas; the restarted worker applies them once', async () => {
    const current = workers.pop()!;
    await current.stop('SIGTERM');
    const worker = await startWorker();
    const id = await newProject('stopped-mid-apply');
    const names = ['slow stop 1', 'slow stop 2'];
    const { ids, jobId } = await push(id, 'device-s', creates(names));
    await waitFor('the apply job to start', async () => (await getJob(base, token, jobId)).status === 'started', 60_000);
    expect(await worker.stop('SIGTERM')).toBe(0);
    workers.splice(workers.indexOf(worker), 1);
    expect(jobProcesses(jobId)).toEqual([]);
    expect(await getJob(base, token, jobId)).toMatchObject({ status: 'pending', started_at: null });
    expect((await deltaRows(sql, ids)).map((row) => [row.status, row.job_id, row.attempts])).toEqual(ids.map(() => ['pending', jobId, 0]));

    await startWorker({ QGIS_PYTHON: '/usr/bin/python3' });
    expect((await jobEnded(base, token, jobId, 120_000)).status).toBe('finished');
    expect((await deltaRows(sql, ids)).map((row) => [row.status, row.job_id])).toEqual(ids.map(() => ['applied', jobId]));
    expect(featuresNamed(await gpkg(id), 'slow stop')).toEqual(names);
  });

  it("a device's later push patches and deletes the features its earlier push created (through the keys the data source gave them)", async () => {
    const id = await newProject('later-push');
    const first = await push(id, 'device-l', creates(['field 1', 'field 2']));
    expect((await jobEnded(base, token, first.jobId, 120_000)).status).toBe('finished');
    const layer = made.layer_ids.points_gpkg;
    const { ids: later, jobId } = await push(id, 'device-l', [
      {
        method: 'patch',
        localLayerId: layer,
        sourceLayerId: layer,
        localPk: '100',
        sourcePk: '',
        old: { attributes: { name: 'field 1' } },
        new: { attributes: { name: 'field 1 renamed' } },
      },
      { method: 'delete', localLayerId: layer, sourceLayerId: layer, localPk: '101', sourcePk: '', old: { attributes: { name: 'field 2' } } },
    ]);
    const job = await jobEnded(base, token, jobId, 120_000);
    expect([job.status, job.feedback.error]).toEqual(['finished', undefined]);
    expect((await deltaRows(sql, later)).map((row) => row.status)).toEqual(['applied', 'applied']);
    expect(featuresNamed(await gpkg(id), 'field')).toEqual(['field 1 renamed']);
  });

  it('two devices pushing to one project at once: their apply jobs run one after the other and every feature is created once', async () => {
    const id = await newProject('two-devices');
    const [a, b] = await Promise.all([push(id, 'device-a', creates(['pair a1', 'pair a2'])), push(id, 'device-b', creates(['pair b1', 'pair b2']))]);
    const jobIds = [...new Set([a.jobId, b.jobId])];
    const jobs = await Promise.all(jobIds.map((jobId) => jobEnded(base, token, jobId, 120_000)));
    expect(jobs.map((job) => job.status)).toEqual(jobIds.map(() => 'finished'));
    const spans = jobs.map((job) => [new Date(job.started_at).getTime(), new Date(job.finished_at).getTime()]).sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
    expect((await deltaRows(sql, [...a.ids, ...b.ids])).map((row) => row.status)).toEqual(['applied', 'applied', 'applied', 'applied']);
    expect(featuresNamed(await gpkg(id), 'pair')).toEqual(['pair a1', 'pair a2', 'pair b1', 'pair b2']);
  });
});
