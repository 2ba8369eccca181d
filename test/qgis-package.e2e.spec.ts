import { jest } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { inspectProject, makeProject, runJobScript, type InspectedProject, type JobRun, type MadeProject } from './support/qgis.js';

/**
 * qgis/package.py (spec §12) with real QGIS, in the worker's environment: each package is opened
 * again with QGIS (qgis/tests/inspect_project.py) and compared with the project it was made from.
 */
jest.setTimeout(300_000);

const temps: string[] = [];
afterAll(() => temps.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

async function packageJob(made: MadeProject): Promise<JobRun> {
  const run = await runJobScript({ type: 'package', project_file: made.project_file }, made.dir);
  temps.push(run.workdir);
  return run;
}

async function project(options: Parameters<typeof makeProject>[0]): Promise<MadeProject> {
  const made = await makeProject(options);
  temps.push(made.dir);
  return made;
}

function listFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((name) => fs.statSync(path.join(dir, name)).isFile()).sort();
}

/** The .qgs text of a package's project file (the member of a .qgz). */
function projectText(file: string): string {
  if (file.endsWith('.qgs')) return fs.readFileSync(file, 'utf8');
  const unzip = spawnSync(
    '/usr/bin/python3',
    [
      '-c',
      'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.namelist()); [sys.stdout.write(z.read(n).decode()) for n in z.namelist() if n.endswith(".qgs")]',
      file,
    ],
    { encoding: 'utf8' },
  );
  return unzip.stdout;
}

const OFFLINE_PROPERTIES = (id: string, key: string) => ({
  remoteLayerId: id,
  'QFieldSync/remoteLayerId': id,
  'QFieldSync/sourceDataPrimaryKeys': key,
  isOfflineEditable: key !== '',
});

describe('qgis/package.py on a .qgs with every kind of file layer, an online layer, data and attachment folders', () => {
  let made: MadeProject;
  let run: JobRun;
  let original: InspectedProject;
  let packaged: InspectedProject;
  const packageDir = () => path.join(run.workdir, 'package');
  const id = (kind: string) => made.layer_ids[kind];

  beforeAll(async () => {
    made = await project({
      layers: ['points_gpkg', 'areas_gpkg_id', 'lines_geojson', 'areas_shp', 'table_csv', 'sites_csv_text', 'dem_tif', 'postgres_password'],
      dataDirs: ['data'],
      futureXml: true,
    });
    fs.mkdirSync(path.join(made.dir, 'data'));
    fs.writeFileSync(path.join(made.dir, 'data', 'legend.txt'), 'kept');
    fs.mkdirSync(path.join(made.dir, 'DCIM'));
    fs.writeFileSync(path.join(made.dir, 'DCIM', 'photo.jpg'), 'not packaged');
    run = await packageJob(made);
    original = await inspectProject(path.join(made.dir, made.project_file));
    packaged = await inspectProject(path.join(packageDir(), 'project_qfield.qgs'));
  });

  it('succeeds with feedback 2.0 and lists exactly the files it wrote into package/', () => {
    expect(run.code).toBe(0);
    expect(run.result!.feedback.error).toBeUndefined();
    expect(run.result!.feedback.steps.map((step: { id: string }) => step.id)).toEqual([
      'start_qgis',
      'project_validity_check',
      'package_project',
      'qgis_layers_data',
    ]);
    expect(run.result!.package_files).toEqual(['data.gpkg', 'data/legend.txt', 'dem.tif', 'dem.tif.aux.xml', 'project_qfield.qgs']);
    expect(listFiles(packageDir())).toEqual(run.result!.package_files);
  });

  it('holds exactly one project file at its root, and no attachment folder', () => {
    expect(fs.readdirSync(packageDir()).filter((name) => /\.qg[sz]$/.test(name))).toEqual(['project_qfield.qgs']);
    expect(fs.existsSync(path.join(packageDir(), 'DCIM'))).toBe(false);
  });

  it('keeps every layer id and the layer tree, with every file layer valid and the same feature counts', () => {
    expect(Object.keys(packaged.layers).sort()).toEqual(Object.keys(original.layers).sort());
    expect(packaged.layer_tree).toEqual(original.layer_tree);
    for (const [layerId, layer] of Object.entries(packaged.layers)) {
      if (layerId === id('postgres_password')) continue;
      expect({ layerId, valid: layer.is_valid }).toEqual({ layerId, valid: true });
      expect({ layerId, count: layer.feature_count }).toEqual({ layerId, count: original.layers[layerId].feature_count });
    }
  });

  it('copies every file-based vector layer into one data.gpkg, one table per source, keeping its key column', () => {
    const tables: Record<string, [string, string]> = {
      points_gpkg: ['points', 'fid'],
      areas_gpkg_id: ['areas', 'id'],
      lines_geojson: ['lines', 'fid'],
      areas_shp: ['parcels', 'fid'],
      table_csv: ['visits', 'fid'],
      sites_csv_text: ['sites', ''],
    };
    for (const [kind, [table, key]] of Object.entries(tables)) {
      const layer = packaged.layers[id(kind)];
      expect({ kind, provider: layer.provider, datasource: layer.datasource, file: layer.file }).toEqual({
        kind,
        provider: 'ogr',
        datasource: `./data.gpkg|layername=${table}`,
        file: 'data.gpkg',
      });
      expect({ kind, properties: layer.properties }).toEqual({ kind, properties: OFFLINE_PROPERTIES(id(kind), key) });
      if (key) expect(layer.fields).toContain(key);
      // The attributes travel with the data.
      for (const field of original.layers[id(kind)].fields!) expect(layer.fields).toContain(field);
    }
  });

  it('makes the layer without a usable key (delimited text) read-only, and only that one', () => {
    expect(packaged.layers[id('sites_csv_text')].read_only).toBe(true);
    for (const kind of ['points_gpkg', 'areas_gpkg_id', 'lines_geojson', 'areas_shp', 'table_csv']) expect(packaged.layers[id(kind)].read_only).toBe(false);
  });

  it('copies the raster beside the project with its side file, and leaves the online layer as it was', () => {
    expect(packaged.layers[id('dem_tif')]).toMatchObject({ provider: 'gdal', datasource: './dem.tif', file: 'dem.tif', is_valid: true, properties: {} });
    expect(fs.readFileSync(path.join(packageDir(), 'dem.tif.aux.xml'), 'utf8')).toBe(fs.readFileSync(path.join(made.dir, 'dem.tif.aux.xml'), 'utf8'));
    const online = packaged.layers[id('postgres_password')];
    expect(online.provider).toBe('postgres');
    expect(online.datasource).toBe(original.layers[id('postgres_password')].datasource);
    expect(online.properties).toEqual({});
  });

  it('keeps XML elements QGIS 3.22 does not know (the project XML is edited, not re-saved)', () => {
    const text = fs.readFileSync(path.join(packageDir(), 'project_qfield.qgs'), 'utf8');
    expect(text).toContain('<fieldbaseFutureSettings version="9">');
    expect(text).toContain('<setting name="keep">kept by packages</setting>');
    expect(text.match(/<fieldbaseFutureLayerThing mode="future"\/>/g)).toHaveLength(Object.keys(original.layers).length);
  });

  it('reports the packaged layers as outputs.qgis_layers_data.layers_by_id (spec §13.2)', () => {
    const layers = run.result!.feedback.outputs.qgis_layers_data.layers_by_id;
    expect(Object.keys(layers).sort()).toEqual(Object.keys(original.layers).sort());
    expect(layers[id('points_gpkg')]).toMatchObject({
      id: id('points_gpkg'),
      name: 'points',
      is_valid: true,
      datasource: './data.gpkg|layername=points',
      filename: 'data.gpkg',
      error_code: 'no_error',
    });
    expect(layers[id('postgres_password')]).toMatchObject({ is_valid: false, provider_name: 'postgres' });
    expect(layers[id('postgres_password')].datasource).not.toContain('s3cret-pw');
  });

  it('leaves no SQLite side files and does not touch the project files', () => {
    expect(listFiles(packageDir()).filter((name) => /-(wal|shm|journal)$/.test(name))).toEqual([]);
    expect(listFiles(path.join(run.workdir, 'files')).filter((name) => !name.startsWith('data/') && !name.startsWith('DCIM/'))).toEqual([...made.files].sort());
  });
});

describe('qgis/package.py on a .qgz with copy, no_action and remove layers', () => {
  let made: MadeProject;
  let run: JobRun;
  let original: InspectedProject;
  let packaged: InspectedProject;
  const packageDir = () => path.join(run.workdir, 'package');

  beforeAll(async () => {
    made = await project({
      format: 'qgz',
      name: 'survey',
      layers: ['points_gpkg', 'lines_geojson', 'areas_shp', 'table_csv'],
      layerActions: { lines_geojson: 'no_action', areas_shp: 'copy', table_csv: 'remove' },
      futureXml: true,
    });
    run = await packageJob(made);
    original = await inspectProject(path.join(made.dir, made.project_file));
    packaged = await inspectProject(path.join(packageDir(), 'survey_qfield.qgz'));
  });

  it('writes <stem>_qfield.qgz, the offline data and the copied layers with their side files', () => {
    expect(run.result!.feedback.error).toBeUndefined();
    expect(run.result!.package_files).toEqual([
      'data.gpkg',
      'lines.geojson',
      'parcels.cpg',
      'parcels.dbf',
      'parcels.prj',
      'parcels.shp',
      'parcels.shx',
      'survey_qfield.qgz',
    ]);
    expect(listFiles(packageDir())).toEqual(run.result!.package_files);
    for (const name of ['lines.geojson', 'parcels.shp', 'parcels.dbf'])
      expect(fs.readFileSync(path.join(packageDir(), name))).toEqual(fs.readFileSync(path.join(made.dir, name)));
  });

  it('removes the remove layer from the layers and the layer tree, keeping the others by id', () => {
    const kept = Object.keys(original.layers).filter((layerId) => layerId !== made.layer_ids.table_csv);
    expect(Object.keys(packaged.layers).sort()).toEqual(kept.sort());
    expect(packaged.layer_tree).toEqual(original.layer_tree.filter((layerId) => layerId !== made.layer_ids.table_csv));
    expect(projectText(path.join(packageDir(), 'survey_qfield.qgz'))).not.toContain(made.layer_ids.table_csv);
  });

  it('leaves copy and no_action layers on their own files, valid, without offline properties', () => {
    for (const kind of ['lines_geojson', 'areas_shp']) {
      const layer = packaged.layers[made.layer_ids[kind]];
      expect(layer).toMatchObject({
        is_valid: true,
        provider: 'ogr',
        datasource: original.layers[made.layer_ids[kind]].datasource,
        feature_count: original.layers[made.layer_ids[kind]].feature_count,
      });
      expect(layer.properties).not.toHaveProperty('remoteLayerId');
    }
    expect(packaged.layers[made.layer_ids.points_gpkg]).toMatchObject({
      datasource: './data.gpkg|layername=points',
      feature_count: 3,
      properties: OFFLINE_PROPERTIES(made.layer_ids.points_gpkg, 'fid'),
    });
  });

  it('keeps the unknown XML inside the .qgz, whose single .qgs is named after the package', () => {
    const text = projectText(path.join(packageDir(), 'survey_qfield.qgz'));
    expect(text.split('\n')[0]).toBe("['survey_qfield.qgs']");
    expect(text).toContain('<fieldbaseFutureSettings version="9">');
  });
});

describe('qgis/package.py failures', () => {
  it('fails FILE_NOT_FOUND with no package files when the project file is missing', async () => {
    const made = await project({ layers: ['points_gpkg'] });
    const run = await runJobScript({ type: 'package', project_file: 'absent.qgs' }, made.dir);
    temps.push(run.workdir);
    expect(run.code).toBe(0);
    expect(run.result).toMatchObject({ package_files: [], feedback: { error_type: 'FILE_NOT_FOUND' } });
  });
});
