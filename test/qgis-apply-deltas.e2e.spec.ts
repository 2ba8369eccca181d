import { jest } from '@jest/globals';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { makeProject, makeWorkdir, runJobScript, runQgisScript, type JobRun, type MadeProject } from './support/qgis.js';

/**
 * qgis/apply_deltas.py (spec §11.3, issue 16) with real QGIS, in the worker's environment: deltas as
 * QField writes them (spec §11.1) are applied to projects qgis/tests/make_project.py builds, and the data
 * is read back with QGIS (qgis/tests/read_layer.py) to check every change.
 */
jest.setTimeout(300_000);

const temps: string[] = [];
afterAll(() => temps.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

const DEVICE = 'device-a';
const OTHER_DEVICE = 'device-b';

interface Delta {
  id: string;
  client_id: string;
  content: Record<string, unknown>;
}

interface DeltaFeedback {
  delta_id: string;
  status: 'applied' | 'conflict' | 'not_applied' | 'error';
  msg: string;
  conflicts: { field: string; old: unknown; current: unknown; new: unknown }[];
  modified_pk: string | null;
}

interface Feature {
  id: number;
  attributes: Record<string, unknown>;
  geometry: string | null;
}

let counter = 0;

/** A delta as QField writes it (deltafilewrapper.cpp): the package's layer id in both layer fields, keys as strings. */
function delta(
  method: 'create' | 'patch' | 'delete',
  layerId: string,
  keys: { sourcePk?: string | number; localPk?: string },
  parts: { old?: Record<string, unknown>; new?: Record<string, unknown>; localLayerCrs?: string },
  clientId = DEVICE,
): Delta {
  const uuid = `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`;
  return {
    id: uuid,
    client_id: clientId,
    content: {
      uuid,
      clientId,
      exportId: 'export-1',
      localLayerId: layerId,
      localLayerName: 'layer',
      localLayerCrs: 'EPSG:4326',
      sourceLayerId: layerId,
      localPk: keys.localPk ?? String(keys.sourcePk ?? ''),
      sourcePk: keys.sourcePk ?? '',
      method,
      ...parts,
    },
  };
}

async function project(layers: string[]): Promise<MadeProject> {
  const made = await makeProject({ layers });
  temps.push(made.dir);
  return made;
}

async function applyJob(made: MadeProject | string, input: Record<string, unknown>, projectFile = 'project.qgs'): Promise<JobRun> {
  const dir = typeof made === 'string' ? made : made.dir;
  const run = await runJobScript({ type: 'apply_deltas', project_file: projectFile, overwrite_conflicts: true, created_features: [], ...input }, dir);
  temps.push(run.workdir);
  return run;
}

const feedbackOf = (run: JobRun): DeltaFeedback[] => run.result!.feedback.outputs.apply_deltas.delta_feedback;
const files = (run: JobRun) => path.join(run.workdir, 'files');

/** The layers' features, read with QGIS from the project in `dir`. */
async function readLayers(dir: string, layerIds: string[]): Promise<Record<string, Feature[]>> {
  const workdir = makeWorkdir();
  temps.push(workdir);
  const run = await runQgisScript('tests/read_layer.py', [path.join(dir, 'project.qgs'), ...layerIds], { workdir });
  if (run.code !== 0) throw new Error(`read_layer.py exited ${run.code ?? run.signal}:\n${run.output}`);
  const read = JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, { features: Feature[] }>;
  return Object.fromEntries(Object.entries(read).map(([id, layer]) => [id, layer.features]));
}

function listFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((name) => fs.statSync(path.join(dir, name)).isFile()).sort();
}

function hashes(dir: string): Record<string, string> {
  return Object.fromEntries(
    listFiles(dir).map((name) => [
      name,
      crypto
        .createHash('sha256')
        .update(fs.readFileSync(path.join(dir, name)))
        .digest('hex'),
    ]),
  );
}

/** SQLite's header bytes 18 and 19: 1 = rollback journal, 2 = WAL. */
function journalBytes(file: string): number[] {
  const header = fs.readFileSync(file).subarray(18, 20);
  return [header[0], header[1]];
}

function expectNoSideFiles(dir: string) {
  expect(listFiles(dir).filter((name) => /-(wal|shm|journal)$/.test(name))).toEqual([]);
  for (const name of listFiles(dir).filter((file) => file.endsWith('.gpkg'))) expect(journalBytes(path.join(dir, name))).toEqual([1, 1]);
}

describe('qgis/apply_deltas.py: creates, patches and deletes on GeoPackage and GeoJSON layers, sub-folders included', () => {
  let made: MadeProject;
  let run: JobRun;
  let before: Record<string, string>;
  let data: Record<string, Feature[]>;
  const id = (kind: string) => made.layer_ids[kind];
  const deltas: Record<string, Delta> = {};
  const feature = (kind: string, fid: number) => data[id(kind)].find((found) => found.id === fid);

  beforeAll(async () => {
    made = await project(['points_gpkg', 'lines_geojson', 'visits_gpkg_code', 'nested_gpkg']);
    before = hashes(made.dir);
    const points = id('points_gpkg');
    Object.assign(deltas, {
      // Created and deleted again in the same push: it never reaches the data.
      createGone: delta('create', points, { localPk: '201' }, { new: { geometry: 'Point (8 47)', attributes: { fid: 201, name: 'gone soon' } } }),
      deleteGone: delta('delete', points, { sourcePk: '201', localPk: '201' }, { old: { attributes: { fid: 201, name: 'gone soon' } } }),
      // A create that fails: the device's later patch of that feature (its sourcePk happens to be a fid the
      // server has) must not land on another feature.
      createBad: delta('create', points, { localPk: '301' }, { new: { geometry: 'Point (eight 47)', attributes: { fid: 1, name: 'bad' } } }),
      patchOfBad: delta('patch', points, { sourcePk: '1', localPk: '301' }, { old: { attributes: { name: 'bad' } }, new: { attributes: { name: 'worse' } } }),
      // The device numbered its new feature 101: the GeoPackage gives it the next fid of its own.
      create: delta(
        'create',
        points,
        { localPk: '101' },
        {
          new: { geometry: 'Point (8.5 47.25)', attributes: { fid: 101, name: 'new spring', count: 7, height: 2.25, observed: '2026-02-01' } },
        },
      ),
      patchCreated: delta(
        'patch',
        points,
        { sourcePk: '101', localPk: '101' },
        { old: { attributes: { name: 'new spring' } }, new: { attributes: { name: 'spring' } } },
      ),
      patchAttribute: delta(
        'patch',
        points,
        { sourcePk: '1' },
        { old: { attributes: { name: 'point 1', count: 1 } }, new: { attributes: { name: 'first', count: 11 } } },
      ),
      // sourcePk as a number, as hand-written deltas have it.
      patchGeometry: delta('patch', points, { sourcePk: 2 }, { old: { geometry: 'Point (7.01 46.01)' }, new: { geometry: 'Point (7.5 46.5)' } }),
      delete: delta(
        'delete',
        points,
        { sourcePk: '3' },
        {
          old: { geometry: 'Point (7.02 46.02)', attributes: { fid: 3, name: 'point 3', count: 3, height: 4.5, observed: '2026-01-03' } },
        },
      ),
      patchDeleted: delta('patch', points, { sourcePk: '3' }, { old: { attributes: { name: 'point 3' } }, new: { attributes: { name: 'gone' } } }),
      patchMissing: delta('patch', points, { sourcePk: '999' }, { old: { attributes: { name: 'x' } }, new: { attributes: { name: 'y' } } }),
      unknownLayer: delta('patch', 'no_such_layer_id', { sourcePk: '1' }, { old: { attributes: { name: 'first' } }, new: { attributes: { name: 'z' } } }),
      // A bad geometry beside a good attribute: neither is applied.
      badWkt: delta(
        'patch',
        points,
        { sourcePk: '1' },
        { old: { attributes: { name: 'first' } }, new: { geometry: 'Point (one two)', attributes: { name: 'broken' } } },
      ),
      unknownField: delta('patch', points, { sourcePk: '1' }, { old: {}, new: { attributes: { colour: 'red' } } }),
      badValue: delta('patch', points, { sourcePk: '1' }, { old: {}, new: { attributes: { count: 'many' } } }),
      // The device saw dates, times and numbers as QField writes them; the data holds them typed.
      datesSame: delta(
        'patch',
        id('visits_gpkg_code'),
        { sourcePk: 'V-1', localPk: '1' },
        {
          old: { attributes: { visited: '2026-01-02T10:00:00.000Z', day: '2026-01-02', starts: '08:30:00', count: '0' } },
          new: { attributes: { visited: '2026-01-05T13:15:00.000+01:00', day: '2026-01-05', starts: '09:45:00', count: 4 } },
        },
      ),
      conflict: delta(
        'patch',
        id('visits_gpkg_code'),
        { sourcePk: 'V-2', localPk: '2' },
        {
          old: { attributes: { count: 99, visited: '2026-01-03T10:00:00' } },
          new: { attributes: { count: 5 } },
        },
      ),
      createCode: delta(
        'create',
        id('visits_gpkg_code'),
        { localPk: '7' },
        {
          new: {
            geometry: 'Point (7.4 46.4)',
            attributes: { fid: 7, code: 'V-9', visited: '2026-03-01T08:00:00.000Z', day: '2026-03-01', starts: null, count: 1 },
          },
        },
      ),
      createCodeTwice: delta(
        'create',
        id('visits_gpkg_code'),
        { localPk: '8' },
        {
          new: { geometry: 'Point (7.4 46.4)', attributes: { fid: 8, code: 'V-9', count: 2 } },
        },
      ),
      deleteCode: delta('delete', id('visits_gpkg_code'), { sourcePk: 'V-3', localPk: '3' }, { old: { attributes: { code: 'V-3', count: 20 } } }),
      // tag is unique (a unique index): taken values are refused before the commit, freed ones accepted.
      tagTaken: delta(
        'patch',
        id('visits_gpkg_code'),
        { sourcePk: 'V-1', localPk: '1' },
        { old: { attributes: { tag: 'a' } }, new: { attributes: { tag: 'b' } } },
      ),
      tagFreed: delta(
        'create',
        id('visits_gpkg_code'),
        { localPk: '9' },
        { new: { geometry: 'Point (7.5 46.5)', attributes: { fid: 9, code: 'V-10', count: 3, tag: 'c' } } },
      ),
      tagTakenByNew: delta(
        'create',
        id('visits_gpkg_code'),
        { localPk: '10' },
        { new: { geometry: 'Point (7.5 46.5)', attributes: { fid: 10, code: 'V-11', tag: 'c' } } },
      ),
      createLine: delta('create', id('lines_geojson'), { localPk: '3' }, { new: { geometry: 'LineString (1 1, 2 2)', attributes: { fid: 3, kind: 'trail' } } }),
      patchLine: delta(
        'patch',
        id('lines_geojson'),
        { sourcePk: '1', localPk: '2' },
        { old: { attributes: { kind: 'road' } }, new: { attributes: { kind: 'track' } } },
      ),
      lineWrongType: delta('create', id('lines_geojson'), { localPk: '4' }, { new: { geometry: 'Point (1 1)', attributes: { kind: 'dot' } } }),
      createNested: delta(
        'create',
        id('nested_gpkg'),
        { localPk: '3' },
        { new: { geometry: 'Point (7.35 46.35)', attributes: { fid: 3, label: 'nested 3' } } },
      ),
      nestedNoGeometry: delta('patch', id('nested_gpkg'), { sourcePk: '1' }, { old: { geometry: 'Point (7.3 46.3)' }, new: { geometry: null } }),
      // A device whose layer was in another CRS: the geometry is moved into the layer's.
      nestedProjected: delta(
        'patch',
        id('nested_gpkg'),
        { sourcePk: '2' },
        { localLayerCrs: 'EPSG:3857', old: {}, new: { geometry: 'Point (834837.8 5788000)' } },
      ),
    });
    run = await applyJob(made, { deltas: Object.values(deltas) });
    data = await readLayers(files(run), [id('points_gpkg'), id('lines_geojson'), id('visits_gpkg_code'), id('nested_gpkg')]);
  });

  const outcome = (name: string) => feedbackOf(run)[Object.keys(deltas).indexOf(name)];

  it('succeeds, with one feedback per delta in job.json order', () => {
    expect(run.code).toBe(0);
    expect(run.result!.feedback.error).toBeUndefined();
    expect(run.result!.feedback.steps.map((step: { id: string }) => step.id)).toEqual([
      'start_qgis',
      'project_validity_check',
      'apply_deltas',
      'close_project',
    ]);
    expect(feedbackOf(run).map((item) => item.delta_id)).toEqual(Object.values(deltas).map((item) => item.id));
    for (const item of feedbackOf(run)) expect(Object.keys(item).sort()).toEqual(['conflicts', 'delta_id', 'modified_pk', 'msg', 'status']);
    expect(Object.fromEntries(Object.keys(deltas).map((name) => [name, outcome(name).status]))).toEqual({
      createGone: 'applied',
      deleteGone: 'applied',
      createBad: 'error',
      patchOfBad: 'not_applied',
      create: 'applied',
      patchCreated: 'applied',
      patchAttribute: 'applied',
      patchGeometry: 'applied',
      delete: 'applied',
      patchDeleted: 'not_applied',
      patchMissing: 'not_applied',
      unknownLayer: 'error',
      badWkt: 'error',
      unknownField: 'error',
      badValue: 'error',
      datesSame: 'applied',
      conflict: 'applied',
      createCode: 'applied',
      createCodeTwice: 'error',
      deleteCode: 'applied',
      tagTaken: 'error',
      tagFreed: 'applied',
      tagTakenByNew: 'error',
      createLine: 'applied',
      patchLine: 'applied',
      lineWrongType: 'error',
      createNested: 'applied',
      nestedNoGeometry: 'applied',
      nestedProjected: 'applied',
    });
  });

  it('creates a feature with its geometry; the GeoPackage assigns the fid, reported as modified_pk', () => {
    expect(outcome('create').modified_pk).toBe('4');
    expect(feature('points_gpkg', 4)).toEqual({
      id: 4,
      // The patch later in the same job found it through the device's localPk.
      attributes: { fid: 4, name: 'spring', count: 7, height: 2.25, observed: '2026-02-01' },
      geometry: 'Point (8.5 47.25)',
    });
    expect(feature('points_gpkg', 101)).toBeUndefined();
    expect(outcome('patchCreated').modified_pk).toBeNull();
  });

  it('forgets a feature created and deleted in the same job, and a create that failed', () => {
    expect(outcome('createGone').modified_pk).toBeNull();
    expect(outcome('deleteGone').msg).toMatch(/created earlier in this job/);
    expect(data[id('points_gpkg')].map((found) => found.attributes.name)).not.toContain('gone soon');
    expect(outcome('patchOfBad').msg).toMatch(/its create delta failed/);
    expect(feature('points_gpkg', 1)!.attributes.name).toBe('first');
  });

  it('patches attributes, and geometry alone leaving the attributes as they were', () => {
    expect(feature('points_gpkg', 1)).toEqual({
      id: 1,
      attributes: { fid: 1, name: 'first', count: 11, height: 1.5, observed: '2026-01-01' },
      geometry: 'Point (7 46)',
    });
    expect(feature('points_gpkg', 2)).toEqual({
      id: 2,
      attributes: { fid: 2, name: 'point 2', count: 2, height: 3, observed: '2026-01-02' },
      geometry: 'Point (7.5 46.5)',
    });
  });

  it('deletes a feature; a later patch of it is not_applied, as is one of a feature that never was', () => {
    expect(feature('points_gpkg', 3)).toBeUndefined();
    expect(data[id('points_gpkg')].map((found) => found.id)).toEqual([1, 2, 4]);
    expect(outcome('patchDeleted').msg).toMatch(/no feature with fid = '3'/);
    expect(outcome('patchMissing').msg).toMatch(/no feature with fid = '999'/);
  });

  it('refuses an unknown layer, bad WKT, an unknown field and a value of the wrong type, changing nothing', () => {
    expect(outcome('unknownLayer').msg).toContain('no_such_layer_id');
    expect(outcome('badWkt').msg).toMatch(/not valid WKT/);
    expect(outcome('unknownField').msg).toMatch(/no field "colour"/);
    expect(outcome('badValue').msg).toMatch(/"count"/);
    expect(outcome('lineWrongType').msg).toMatch(/does not fit/);
    // Feature 1 has the earlier patch's values, none of the refused deltas'.
    expect(feature('points_gpkg', 1)!.attributes).toMatchObject({ name: 'first', count: 11 });
    expect(data[id('lines_geojson')].map((found) => found.attributes.kind)).not.toContain('dot');
  });

  it('compares dates, date-times, times and numeric strings as values: no conflict where nothing changed', () => {
    expect(outcome('datesSame').conflicts).toEqual([]);
    // The GeoPackage keeps the clock time without its zone: a time with an offset is stored in UTC.
    expect(feature('visits_gpkg_code', 1)!.attributes).toEqual({
      fid: 1,
      code: 'V-1',
      visited: '2026-01-05T12:15:00.000',
      day: '2026-01-05',
      starts: '09:45:00',
      count: 4,
      tag: 'a',
    });
  });

  it('applies a conflicting patch when overwrite_conflicts is set, listing only the field that differs', () => {
    expect(outcome('conflict').conflicts).toEqual([{ field: 'count', old: 99, current: 10, new: 5 }]);
    expect(outcome('conflict').msg).toMatch(/count/);
    expect(feature('visits_gpkg_code', 2)!.attributes.count).toBe(5);
  });

  it('finds features by the key column QFieldSync names; a create keeps its key, a second one with it is refused', () => {
    const codes = data[id('visits_gpkg_code')].map((found) => found.attributes.code);
    expect(codes).toEqual(['V-1', 'V-2', 'V-9', 'V-10']);
    expect(outcome('createCode').modified_pk).toBe('V-9');
    expect(outcome('createCodeTwice').msg).toMatch(/already has a feature with code = 'V-9'/);
    expect(data[id('visits_gpkg_code')].find((found) => found.attributes.code === 'V-9')!.attributes).toMatchObject({ count: 1, starts: null });
  });

  it('keeps a unique column unique without failing the commit: a taken value is refused, a freed one accepted', () => {
    expect(outcome('tagTaken').msg).toMatch(/already has a feature with tag = 'b'/);
    expect(outcome('tagTakenByNew').msg).toMatch(/already has a feature with tag = 'c'/);
    const tags = Object.fromEntries(data[id('visits_gpkg_code')].map((found) => [found.attributes.code, found.attributes.tag]));
    expect(tags).toEqual({ 'V-1': 'a', 'V-2': 'b', 'V-9': null, 'V-10': 'c' });
  });

  it('edits a GeoJSON layer: its features are found by their feature id', () => {
    expect(outcome('createLine').modified_pk).toBe('2');
    expect(data[id('lines_geojson')]).toEqual([
      { id: 0, attributes: { kind: 'path' }, geometry: 'LineString (7 46, 7.05 46.05)' },
      { id: 1, attributes: { kind: 'track' }, geometry: 'LineString (7.02 46, 7.02 46.03)' },
      { id: 2, attributes: { kind: 'trail' }, geometry: 'LineString (1 1, 2 2)' },
    ]);
  });

  it("edits a layer in a sub-folder; a null geometry removes the geometry; one in the device layer's CRS is moved into the layer's", () => {
    expect(outcome('createNested').modified_pk).toBe('3');
    expect(data[id('nested_gpkg')]).toEqual([
      { id: 1, attributes: { fid: 1, label: 'nested 1' }, geometry: null },
      { id: 2, attributes: { fid: 2, label: 'nested 2' }, geometry: expect.stringMatching(/^Point \(/) },
      { id: 3, attributes: { fid: 3, label: 'nested 3' }, geometry: 'Point (7.35 46.35)' },
    ]);
    // 834837.8, 5788000 in web mercator is about 7.4995°E 46.0477°N.
    const [x, y] = feature('nested_gpkg', 2)!
      .geometry!.match(/[\d.]+/g)!
      .map(Number);
    expect(x).toBeCloseTo(7.4995, 3);
    expect(y).toBeCloseTo(46.0477, 3);
  });

  it('lists exactly the data files that changed, and leaves no side file and no GeoPackage in WAL mode', () => {
    expect(run.result!.changed_files).toEqual(['data/survey/nested.gpkg', 'lines.geojson', 'points.gpkg', 'visits.gpkg']);
    const after = hashes(files(run));
    expect(Object.keys(after)).toEqual(Object.keys(before));
    for (const name of Object.keys(before)) expect([name, after[name] !== before[name]]).toEqual([name, run.result!.changed_files.includes(name)]);
    expectNoSideFiles(files(run));
  });
});

describe('qgis/apply_deltas.py on a shapefile', () => {
  it("lists the shapefile's files that changed (.shp, .dbf, .shx), not the others", async () => {
    const made = await project(['areas_shp']);
    const parcels = made.layer_ids.areas_shp;
    const run = await applyJob(made, {
      deltas: [
        delta('patch', parcels, { sourcePk: '1' }, { old: { attributes: { label: 'parcel 2' } }, new: { attributes: { label: 'P2', size: 12 } } }),
        delta('delete', parcels, { sourcePk: '0' }, { old: { attributes: { label: 'parcel 1', size: 0 } } }),
      ],
    });
    expect(feedbackOf(run).map((item) => item.status)).toEqual(['applied', 'applied']);
    expect(run.result!.changed_files).toEqual(['parcels.dbf', 'parcels.shp', 'parcels.shx']);
    const features = (await readLayers(files(run), [parcels]))[parcels];
    // A shapefile numbers its features by position: the deletion renumbered the rest (docs/deltas.md, "How deltas are applied").
    expect(features.map((found) => [found.id, found.attributes.label, found.attributes.size])).toEqual([
      [0, 'P2', 12],
      [1, 'parcel 3', 20],
      [2, 'parcel 4', 30],
      [3, 'parcel 5', 40],
    ]);
  });
});

describe('qgis/apply_deltas.py without overwrite_conflicts', () => {
  let made: MadeProject;
  let run: JobRun;
  let data: Record<string, Feature[]>;
  const deltas: Record<string, Delta> = {};

  beforeAll(async () => {
    made = await project(['points_gpkg']);
    const points = made.layer_ids.points_gpkg;
    Object.assign(deltas, {
      conflictPatch: delta(
        'patch',
        points,
        { sourcePk: '1' },
        { old: { attributes: { name: 'point one', count: 1 } }, new: { attributes: { name: 'mine', count: 100 } } },
      ),
      conflictDelete: delta(
        'delete',
        points,
        { sourcePk: '2' },
        { old: { attributes: { fid: 2, name: 'point 2', count: 2, height: 99, observed: '2026-01-02' } } },
      ),
      datesOnly: delta(
        'patch',
        points,
        { sourcePk: '3' },
        { old: { attributes: { observed: '2026-01-03T00:00:00', height: '4.5' } }, new: { attributes: { observed: '2026-04-01' } } },
      ),
    });
    run = await applyJob(made, { overwrite_conflicts: false, deltas: Object.values(deltas) });
    data = await readLayers(files(run), [points]);
  });

  it('refuses a patch and a delete whose old values differ from the data, changing nothing, and names the fields', () => {
    const [patch, del, dates] = feedbackOf(run);
    expect(patch).toMatchObject({ status: 'conflict', conflicts: [{ field: 'name', old: 'point one', current: 'point 1', new: 'mine' }], modified_pk: null });
    expect(patch.msg).toMatch(/"name"/);
    expect(del).toMatchObject({ status: 'conflict', conflicts: [{ field: 'height', old: 99, current: 3, new: null }] });
    expect(dates).toMatchObject({ status: 'applied', conflicts: [] });
    const features = data[made.layer_ids.points_gpkg];
    expect(features.map((found) => [found.id, found.attributes.name, found.attributes.count, found.attributes.observed])).toEqual([
      [1, 'point 1', 1, '2026-01-01'],
      [2, 'point 2', 2, '2026-01-02'],
      [3, 'point 3', 3, '2026-04-01'],
    ]);
    expect(run.result!.changed_files).toEqual(['points.gpkg']);
  });
});

describe('qgis/apply_deltas.py across two jobs: the features a device created are found through created_features', () => {
  let made: MadeProject;
  let first: JobRun;
  let second: JobRun;
  let data: Record<string, Feature[]>;

  beforeAll(async () => {
    made = await project(['points_gpkg']);
    const points = made.layer_ids.points_gpkg;
    // Both devices numbered their new feature 4 in their own package; the server gives them 4 and 5.
    first = await applyJob(made, {
      deltas: [
        delta(
          'create',
          points,
          { localPk: '4' },
          { new: { geometry: 'Point (8 46)', attributes: { fid: 4, name: 'from a', count: 1, height: null, observed: null } } },
        ),
        delta(
          'create',
          points,
          { localPk: '4' },
          { new: { geometry: 'Point (9 46)', attributes: { fid: 4, name: 'from b', count: 2, height: null, observed: null } } },
          OTHER_DEVICE,
        ),
      ],
    });
    const created = feedbackOf(first).map((item, index) => ({
      client_id: index === 0 ? DEVICE : OTHER_DEVICE,
      layer_id: points,
      local_pk: '4',
      modified_pk: item.modified_pk,
    }));
    // The next push: each device patches "its" feature 4, by the key it knows.
    second = await applyJob(files(first), {
      created_features: created,
      deltas: [
        delta(
          'patch',
          points,
          { sourcePk: '4', localPk: '4' },
          { old: { attributes: { name: 'from b' } }, new: { attributes: { name: 'b, later' } } },
          OTHER_DEVICE,
        ),
        delta('patch', points, { sourcePk: '4', localPk: '4' }, { old: { attributes: { name: 'from a' } }, new: { attributes: { name: 'a, later' } } }),
        delta('delete', points, { sourcePk: '4', localPk: '4' }, { old: { attributes: { name: 'a, later' } } }),
        delta('patch', points, { sourcePk: '4', localPk: '4' }, { old: { attributes: { name: 'a, later' } }, new: { attributes: { name: 'too late' } } }),
      ],
    });
    data = await readLayers(files(second), [points]);
  });

  it('gives each device its own new fid', () => {
    expect(feedbackOf(first).map((item) => [item.status, item.modified_pk])).toEqual([
      ['applied', '4'],
      ['applied', '5'],
    ]);
  });

  it("applies each device's later deltas to its own feature, not to the other's with the same local key", () => {
    expect(feedbackOf(second).map((item) => item.status)).toEqual(['applied', 'applied', 'applied', 'not_applied']);
    expect(feedbackOf(second)[3].msg).toMatch(/no longer has the feature this device created/);
    const names = Object.fromEntries(data[made.layer_ids.points_gpkg].map((found) => [found.id, found.attributes.name]));
    expect(names).toEqual({ 1: 'point 1', 2: 'point 2', 3: 'point 3', 5: 'b, later' });
  });
});

describe('qgis/apply_deltas.py failures', () => {
  it('changes no data and lists no file when its only delta fails', async () => {
    const made = await project(['points_gpkg']);
    const points = made.layer_ids.points_gpkg;
    const run = await applyJob(made, {
      deltas: [delta('patch', points, { sourcePk: '1' }, { old: {}, new: { geometry: 'Point (one two)', attributes: { name: 'x' } } })],
    });
    expect(feedbackOf(run).map((item) => item.status)).toEqual(['error']);
    expect(run.result!.changed_files).toEqual([]);
    // Opening the GeoPackage for editing bumps SQLite's change counter; the data is what it was.
    expect(await readLayers(files(run), [points])).toEqual(await readLayers(made.dir, [points]));
    expectNoSideFiles(files(run));
  });

  it('refuses to edit a layer whose file is outside the project, leaving that file alone', async () => {
    const made = await project(['points_gpkg']);
    const outside = fs.mkdtempSync(path.join(made.dir, '..', 'fieldbase-outside-'));
    temps.push(outside);
    fs.renameSync(path.join(made.dir, 'points.gpkg'), path.join(outside, 'points.gpkg'));
    const qgs = path.join(made.dir, 'project.qgs');
    fs.writeFileSync(qgs, fs.readFileSync(qgs, 'utf8').replaceAll('./points.gpkg', path.join(outside, 'points.gpkg')));
    const before = hashes(outside);
    const run = await applyJob(made, {
      deltas: [delta('patch', made.layer_ids.points_gpkg, { sourcePk: '1' }, { old: {}, new: { attributes: { name: 'x' } } })],
    });
    expect(feedbackOf(run)).toMatchObject([{ status: 'error', msg: expect.stringMatching(/not stored in a file of the project/) }]);
    expect(run.result!.changed_files).toEqual([]);
    expect(hashes(outside)).toEqual(before);
  });

  it('fails the job, listing no file, when the data source refuses the commit', async () => {
    const made = await project(['points_gpkg']);
    // A trigger QGIS cannot know of: SQLite refuses the insert only when the changes are written.
    const sql = "CREATE TRIGGER no_insert BEFORE INSERT ON points BEGIN SELECT RAISE(ABORT, 'closed for new points'); END";
    const trigger = spawnSync(
      '/usr/bin/python3',
      ['-c', `from osgeo import ogr; ogr.Open(${JSON.stringify(path.join(made.dir, 'points.gpkg'))}, 1).ExecuteSQL(${JSON.stringify(sql)})`],
      {
        encoding: 'utf8',
      },
    );
    expect(trigger.status).toBe(0);
    const run = await applyJob(made, {
      deltas: [
        delta('patch', made.layer_ids.points_gpkg, { sourcePk: '1' }, { old: {}, new: { attributes: { name: 'x' } } }),
        delta('create', made.layer_ids.points_gpkg, { localPk: '9' }, { new: { geometry: 'Point (1 1)', attributes: { name: 'new' } } }),
      ],
    });
    expect(run.code).toBe(0);
    expect(run.result).toMatchObject({
      changed_files: [],
      feedback: { error_type: 'UNKNOWN', error: expect.stringMatching(/Saving the changes to layer "points" failed/) },
    });
    expect(run.result!.feedback.outputs.apply_deltas).toBeUndefined();
  });

  it('fails the job with FILE_NOT_FOUND, no feedback per delta and no changed file when the project file is missing', async () => {
    const made = await project(['points_gpkg']);
    const run = await applyJob(made, { deltas: [delta('delete', made.layer_ids.points_gpkg, { sourcePk: '1' }, { old: {} })] }, 'missing.qgs');
    expect(run.code).toBe(0);
    expect(run.result).toMatchObject({ changed_files: [], feedback: { error_type: 'FILE_NOT_FOUND', error: expect.stringContaining('missing.qgs') } });
    expect(run.result!.feedback.outputs.apply_deltas).toBeUndefined();
  });

  it('fails the job with INVALID_PROJECT_FILE when the project cannot be read', async () => {
    const made = await project(['points_gpkg']);
    fs.writeFileSync(path.join(made.dir, 'project.qgs'), 'not a project');
    const run = await applyJob(made, { deltas: [delta('delete', made.layer_ids.points_gpkg, { sourcePk: '1' }, { old: {} })] });
    expect(run.result).toMatchObject({ changed_files: [], feedback: { error_type: 'INVALID_PROJECT_FILE' } });
  });
});

describe('qgis/apply_deltas.py with 1000 deltas in one job', () => {
  let made: MadeProject;
  let run: JobRun;
  let data: Record<string, Feature[]>;
  let seconds: number;
  const deltas: Delta[] = [];

  beforeAll(async () => {
    made = await project(['big:1000']);
    const big = made.layer_ids.big;
    for (let i = 1; i <= 500; i++)
      deltas.push(
        delta(
          'patch',
          big,
          { sourcePk: String(i) },
          { old: { attributes: { name: `point ${i}` } }, new: { attributes: { name: `patched ${i}`, count: i * 2 } } },
        ),
      );
    for (let i = 501; i <= 750; i++) deltas.push(delta('delete', big, { sourcePk: String(i) }, { old: { attributes: { name: `point ${i}` } } }));
    for (let i = 0; i < 249; i++)
      deltas.push(
        delta(
          'create',
          big,
          { localPk: String(2000 + i) },
          { new: { geometry: `Point (9 ${46 + i / 1000})`, attributes: { fid: 2000 + i, name: `created ${i}`, count: i, height: 0 } } },
        ),
      );
    // One refused delta among them changes nothing and stops nothing.
    deltas.splice(600, 0, delta('patch', big, { sourcePk: '751' }, { old: {}, new: { geometry: 'nonsense', attributes: { name: 'refused' } } }));
    const started = Date.now();
    run = await applyJob(made, { deltas });
    seconds = (Date.now() - started) / 1000;
    data = await readLayers(files(run), [big]);
  });

  it('applies them all in one run, in order, with the failing one alone refused', () => {
    expect(deltas).toHaveLength(1000);
    const statuses = feedbackOf(run).map((item) => item.status);
    expect(statuses.filter((status) => status !== 'applied')).toEqual(['error']);
    expect(statuses[600]).toBe('error');
    expect(feedbackOf(run).map((item) => item.delta_id)).toEqual(deltas.map((item) => item.id));
    // Generous for a loaded machine; a commit per delta takes minutes.
    expect(seconds).toBeLessThan(90);
  });

  it('leaves the data exactly as the deltas say', () => {
    const features = data[made.layer_ids.big];
    expect(features).toHaveLength(1000 - 250 + 249);
    const byId = new Map(features.map((found) => [found.id, found]));
    expect(byId.get(1)!.attributes).toMatchObject({ name: 'patched 1', count: 2 });
    expect(byId.get(500)!.attributes).toMatchObject({ name: 'patched 500', count: 1000 });
    expect(byId.has(501) || byId.has(750)).toBe(false);
    expect(byId.get(751)!.attributes.name).toBe('point 751');
    const created = feedbackOf(run).filter((item) => /^Created/.test(item.msg));
    expect(created).toHaveLength(249);
    expect(created.map((item) => Number(item.modified_pk))).toEqual(Array.from({ length: 249 }, (_, i) => 1001 + i));
    expect(byId.get(1001)!.attributes.name).toBe('created 0');
    expect(byId.get(1249)!.attributes.name).toBe('created 248');
    expectNoSideFiles(files(run));
    expect(run.result!.changed_files).toEqual(['big.gpkg']);
  });
});
