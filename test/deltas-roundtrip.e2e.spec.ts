import { jest } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import {
  deltaFile,
  deltasSettled,
  downloadPackage,
  downloadProjectFiles,
  dumpFeatures,
  LayerEdits,
  newDevice,
  packageAsQField,
  pushDeltas,
  type Delta,
  type DeltaFile,
  type DeltaRow,
  type DumpedFeature,
  type DumpedLayer,
} from './support/field-device.js';
import { createProject, jobEnded, jobsOf, uploadProject, waitFor } from './support/jobs.js';
import { makeProject, type MadeProject } from './support/qgis.js';
import { auth, startTestApp, type TestApp } from './support/test-app.js';

// Issue 16, the whole round trip as the clients drive it, with the real worker and real QGIS: a
// project built with QGIS is uploaded as QFieldSync does, packaged and downloaded as QField does,
// edited in the field (deltas written against the packaged layers in QField's format), pushed, applied
// by the worker, and every change is then read back with QGIS from the project's data files and from
// a new package.
jest.setTimeout(300_000);

const API = '/api/v1';

describe('the field round trip: package, edit in the field, push deltas, apply, repackage (issue 16)', () => {
  let t: TestApp;
  let owner: string;
  let made: MadeProject;
  let projectId: string;
  const dirs: string[] = [];
  const tempDir = (name: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fieldbase-roundtrip-${name}-`));
    dirs.push(dir);
    return dir;
  };

  /** The packaged layers as QField reads them, by the source project's layer kind. */
  let packaged: { points: DumpedLayer; lines: DumpedLayer };
  let pushed: DeltaFile;
  const edits: Record<'create' | 'patchAttribute' | 'patchGeometry' | 'patchLineGeometry' | 'delete', Delta> = {} as never;

  const project = async () => (await request(t.http).get(`${API}/projects/${projectId}/`).set(auth(owner))).body;
  const deltaRows = async (): Promise<DeltaRow[]> => (await request(t.http).get(`${API}/deltas/${projectId}/${pushed.id}/`).set(auth(owner))).body;

  beforeAll(async () => {
    t = await startTestApp({ WORKER: 'true' });
    owner = await t.createPerson('surveyor');
    await waitFor('the worker to report QGIS', async () => (await request(t.http).get(`${API}/status/`)).body.worker === 'ok', 60_000);
    made = await makeProject({ layers: ['points_gpkg', 'lines_geojson'] });
    dirs.push(made.dir);
    projectId = await createProject(t.http, owner, 'field-survey');
  });
  afterAll(async () => {
    await t?.close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('QFieldSync uploads the data, then the .qgs; the upload queues the processing, which succeeds', async () => {
    await uploadProject(t.http, owner, projectId, made);
    const jobs = await jobsOf(t.http, owner, projectId);
    expect(jobs.map((job) => job.type)).toEqual(['process_projectfile']);
    const processed = await jobEnded(t.http, owner, jobs[0].id, 120_000);
    expect(processed.status).toBe('finished');
    expect(await project()).toMatchObject({ status: 'ok', needs_repackaging: true });
  });

  it('QField packages the project (POST /jobs/ with JSON) and downloads every file of latest/; the packaged layers carry what its edit tracking reads', async () => {
    await packageAsQField(t.http, owner, projectId);
    const device = tempDir('device');
    const { latest, projectFile } = await downloadPackage(t.http, owner, projectId, device);
    expect(latest.files.map((file: { name: string }) => file.name).sort()).toEqual(['data.gpkg', 'project_qfield.qgs']);
    const layers = await dumpFeatures(projectFile);
    const points = layers[made.layer_ids.points_gpkg];
    const lines = layers[made.layer_ids.lines_geojson];
    for (const [layer, id] of [
      [points, made.layer_ids.points_gpkg],
      [lines, made.layer_ids.lines_geojson],
    ] as const) {
      expect(layer).toMatchObject({ is_valid: true, file: 'data.gpkg', properties: { remoteLayerId: id, isOfflineEditable: true } });
      expect(layer.properties['QFieldSync/sourceDataPrimaryKeys']).toBe('fid');
    }
    expect(points.features.map((feature) => feature.attributes.name)).toEqual(['point 1', 'point 2', 'point 3']);
    expect(lines.features.map((feature) => feature.attributes.kind)).toEqual(['path', 'road']);
    packaged = { points, lines };
  });

  it('QField pushes its edits (create with geometry, patch an attribute, patch a geometry, delete) and answers the rows at once', async () => {
    const device = newDevice();
    const points = new LayerEdits(made.layer_ids.points_gpkg, packaged.points, device);
    const lines = new LayerEdits(made.layer_ids.lines_geojson, packaged.lines, device);
    const [first, second, third] = packaged.points.features;
    edits.create = points.create({ name: 'found in the field', count: 42, height: 12.25, observed: '2026-06-15' }, 'Point (7.123 46.456)');
    edits.patchAttribute = points.patch(first, { name: 'point 1, renamed', count: 100 });
    edits.patchGeometry = points.patch(second, {}, 'Point (7.5 46.5)');
    edits.patchLineGeometry = lines.patch(packaged.lines.features[0], {}, 'LineString (7 46, 7.2 46.2, 7.3 46.1)');
    edits.delete = points.delete(third);
    pushed = deltaFile(projectId, [edits.create, edits.patchAttribute, edits.patchGeometry, edits.patchLineGeometry, edits.delete]);

    const res = await pushDeltas(t.http, owner, projectId, pushed);
    expect(res.status).toBe(200);
    expect(res.body.map((row: DeltaRow) => row.id)).toEqual(pushed.deltas.map((delta) => delta.uuid));
    for (const row of res.body) {
      expect(row).toMatchObject({ deltafile_id: pushed.id, created_by: 'surveyor' });
      expect(['STATUS_PENDING', 'STATUS_BUSY', 'STATUS_APPLIED']).toContain(row.status);
    }
    expect(res.body[0].content).toEqual(edits.create);
  });

  it('polled as QField polls, every delta ends STATUS_APPLIED', async () => {
    const rows = await deltasSettled(t.http, owner, projectId, pushed.id);
    expect(rows.map((row) => [row.id, row.status, row.last_status])).toEqual(pushed.deltas.map((delta) => [delta.uuid, 'STATUS_APPLIED', 'applied']));
    // Nothing in the field conflicted with the data: each says what it did and lists no conflict.
    for (const row of rows) expect(row.last_feedback).toEqual(expect.objectContaining({ msg: expect.any(String), conflicts: [] }));
    const applyJobs = (await jobsOf(t.http, owner, projectId)).filter((job) => job.type === 'delta_apply');
    expect(applyJobs.map((job) => job.status)).toEqual(['finished']);
  });

  it("the project's data files, downloaded through /files/ and read with QGIS, hold every change and nothing else", async () => {
    const server = tempDir('server');
    const names = await downloadProjectFiles(t.http, owner, projectId, server);
    // The worker stores the data files without their GeoPackage side files.
    expect(names.sort()).toEqual([...made.files].sort());
    const layers = await dumpFeatures(path.join(server, made.project_file));
    const created = expectEdited(layers[made.layer_ids.points_gpkg], layers[made.layer_ids.lines_geojson]);
    // The key the data source gave the created feature is the delta's modified_pk (spec §11.3).
    expect(await t.sql(`SELECT modified_pk FROM deltas WHERE id = $1`, [edits.create.uuid])).toEqual([{ modified_pk: String(created.id) }]);
  });

  it('the project needs repackaging; the new package holds the edits', async () => {
    expect(await project()).toMatchObject({ status: 'ok', needs_repackaging: true });
    await packageAsQField(t.http, owner, projectId);
    const { projectFile } = await downloadPackage(t.http, owner, projectId, tempDir('device-again'));
    const layers = await dumpFeatures(projectFile);
    expectEdited(layers[made.layer_ids.points_gpkg], layers[made.layer_ids.lines_geojson]);
    expect((await project()).needs_repackaging).toBe(false);
  });

  it('pushing the same delta file again changes nothing: the same rows, no new job, no new file version', async () => {
    const rowsBefore = await deltaRows();
    const jobsBefore = await jobsOf(t.http, owner, projectId);
    const versions = async () =>
      t.sql(`SELECT v.id FROM file_versions v JOIN project_files f ON f.id = v.file_id WHERE f.project_id = $1 ORDER BY v.id`, [projectId]);
    const versionsBefore = await versions();
    const res = await pushDeltas(t.http, owner, projectId, pushed);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(rowsBefore);
    expect(await deltaRows()).toEqual(rowsBefore);
    expect(await jobsOf(t.http, owner, projectId)).toEqual(jobsBefore);
    expect(await versions()).toEqual(versionsBefore);
  });

  /** The source layers after the edits: the packaged features with exactly the pushed changes. */
  function expectEdited(points: DumpedLayer, lines: DumpedLayer): DumpedFeature {
    const [first, second, third] = packaged.points.features;
    const byName = (name: string) => points.features.find((feature) => feature.attributes.name === name);
    expect(points.features).toHaveLength(3);
    expect(byName('point 1, renamed')).toEqual({ ...first, attributes: { ...first.attributes, name: 'point 1, renamed', count: 100 } });
    expect(points.features.find((feature) => feature.id === second.id)).toEqual({ ...second, geometry: 'Point (7.5 46.5)' });
    expect(points.features.find((feature) => feature.id === third.id)).toBeUndefined();
    const created = byName('found in the field');
    expect(created).toMatchObject({
      attributes: { name: 'found in the field', count: 42, height: 12.25, observed: '2026-06-15' },
      geometry: 'Point (7.123 46.456)',
    });
    // The data source gave it its key.
    expect(created!.attributes.fid).toBe(created!.id);
    // The package's lines table has a fid column the GeoJSON source lacks: compare what both hold.
    const kindAndGeometry = (layer: DumpedLayer) => layer.features.map((feature) => [feature.attributes.kind, feature.geometry]);
    expect(kindAndGeometry(lines)).toEqual([
      ['path', 'LineString (7 46, 7.2 46.2, 7.3 46.1)'],
      ['road', packaged.lines.features[1].geometry],
    ]);
    return created!;
  }
});
