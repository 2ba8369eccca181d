import { jest } from '@jest/globals';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { waitFor } from './support/jobs.js';
import { makeProject, makeWorkdir, QGIS_PYTHON, QGIS_SCRIPTS, runJobScript, runQgisScript, type JobRun, type MadeProject } from './support/qgis.js';
import { pngSize } from './support/kit.js';
import { processExists } from './support/server-process.js';

/**
 * The Python side of the worker (ref QGIS contract, spec §10.4, §13.2): qgis/check_qgis.py and
 * qgis/process_projectfile.py run with real QGIS, in the worker's environment, on projects that
 * qgis/tests/make_project.py builds with QGIS.
 */
jest.setTimeout(180_000);

const temps: string[] = [];
afterAll(() => temps.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

async function job(input: Record<string, unknown>, projectDir?: string, options?: Parameters<typeof runJobScript>[2]): Promise<JobRun> {
  const run = await runJobScript({ type: 'process_projectfile', ...input }, projectDir, options);
  temps.push(run.workdir);
  return run;
}

async function project(options: Parameters<typeof makeProject>[0]): Promise<MadeProject> {
  const made = await makeProject(options);
  temps.push(made.dir);
  return made;
}

function hashes(dir: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, name);
    if (fs.statSync(file).isFile()) found[name] = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  }
  return found;
}

const DETAIL_KEYS = ['attachment_dirs', 'crs', 'data_dirs', 'extent', 'layers_by_id', 'ordered_layer_ids', 'project_name', 'qgis_version'];
const LAYER_KEYS = [
  'crs',
  'datasource',
  'error_code',
  'error_summary',
  'fields',
  'filename',
  'geom_type_name',
  'id',
  'is_localized',
  'is_valid',
  'name',
  'provider_error_summary',
  'provider_name',
  'qfs_cloud_action',
  'type_name',
  'wkb_type_name',
];

describe('qgis/check_qgis.py', () => {
  it('prints one JSON line with the QGIS version and exits 0', async () => {
    const run = await runQgisScript('check_qgis.py', []);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toEqual({ qgis_version: expect.stringMatching(/^3\.\d+\.\d+-\S+$/) });
  });

  it('exits non-zero naming the package to install when QGIS cannot be imported', async () => {
    // -S leaves out site-packages, where Debian puts the qgis module: as on a machine without it.
    const run = await runQgisScript('check_qgis.py', [], { pythonArgs: ['-S'] });
    expect(run.code).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('python3-qgis');
  });

  it('exits non-zero when QGIS starts without its data providers (wrong QGIS_PREFIX_PATH)', async () => {
    const run = await runQgisScript('check_qgis.py', [], { env: { QGIS_PREFIX_PATH: '/nonexistent' } });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('qgis-providers');
  });
});

describe('qgis/process_projectfile.py on a .qgs with GeoPackage, GeoJSON, broken and PostGIS layers', () => {
  let made: MadeProject;
  let run: JobRun;
  let version: string;
  let before: Record<string, string>;

  beforeAll(async () => {
    made = await project({
      title: 'Field survey',
      layers: ['points_gpkg', 'lines_geojson', 'broken', 'postgres_password'],
      attachmentDirs: ['photos', 'DCIM'],
      dataDirs: ['data'],
      cloudAction: 'offline',
    });
    before = hashes(made.dir);
    run = await job({ project_file: made.project_file }, made.dir);
    version = JSON.parse((await runQgisScript('check_qgis.py', [])).stdout).qgis_version;
  });

  const details = () => run.result!.project_details;
  const layer = (kind: string) => details().layers_by_id[made.layer_ids[kind]];

  it('exits 0 with a result.json written atomically and no error', () => {
    expect(run.code).toBe(0);
    expect(run.result).not.toBeNull();
    expect(fs.existsSync(path.join(run.workdir, 'result.json.tmp'))).toBe(false);
    expect(run.result!.feedback.error).toBeUndefined();
    expect(run.result!.feedback.error_type).toBeUndefined();
  });

  it('reports feedback 2.0 with every step completed and the details as the qgis_project_details output', () => {
    const feedback = run.result!.feedback;
    expect(feedback.feedback_version).toBe('2.0');
    expect(feedback.steps.map((step: { id: string }) => step.id)).toEqual([
      'start_qgis',
      'project_validity_check',
      'qgis_project_details',
      'generate_thumbnail_image',
    ]);
    for (const step of feedback.steps) expect(step).toEqual({ id: step.id, name: expect.any(String), stage: 2, returns: expect.any(Object) });
    expect(feedback.outputs.qgis_project_details).toEqual(details());
  });

  it('reads the project-level details of spec §10.4, custom QFieldSync entries included', () => {
    expect(Object.keys(details()).sort()).toEqual(DETAIL_KEYS);
    expect(details().project_name).toBe('Field survey');
    expect(details().crs).toBe('EPSG:4326');
    // The saved canvas extent: the data (7.0–7.05, 46.0–46.05) grown by 0.01.
    expect(details().extent).toMatch(/^POLYGON\(\(6\.99\d* 45\.99\d*, 7\.0[56]\d* 45\.99\d*, /);
    expect(details().qgis_version).toBe(version);
    expect(details().attachment_dirs).toEqual(['photos', 'DCIM']);
    expect(details().data_dirs).toEqual(['data']);
    expect([...details().ordered_layer_ids].sort()).toEqual(Object.values(made.layer_ids).sort());
    expect(Object.keys(details().layers_by_id).sort()).toEqual(Object.values(made.layer_ids).sort());
  });

  it('describes the GeoPackage layer: types, CRS, provider, relative file, fields, cloud action', () => {
    expect(Object.keys(layer('points_gpkg')).sort()).toEqual(LAYER_KEYS);
    expect(layer('points_gpkg')).toMatchObject({
      id: made.layer_ids.points_gpkg,
      name: 'points',
      type_name: 'VectorLayer',
      crs: 'EPSG:4326',
      wkb_type_name: 'Point',
      geom_type_name: 'Point',
      provider_name: 'ogr',
      datasource: './points.gpkg|layername=points',
      filename: 'points.gpkg',
      is_valid: true,
      is_localized: false,
      error_code: 'no_error',
      qfs_cloud_action: 'offline',
    });
    const fields = layer('points_gpkg').fields.map((field: { name: string; type: string; alias: string }) => [field.name, field.type, field.alias]);
    expect(fields).toEqual([
      ['fid', 'Integer64', ''],
      ['name', 'String', ''],
      ['count', 'Integer', ''],
      ['height', 'Real', ''],
      ['observed', 'Date', ''],
    ]);
    expect(layer('points_gpkg').fields[0]).toMatchObject({ is_not_null: true, is_unique: true });
  });

  it('describes the GeoJSON layer', () => {
    expect(layer('lines_geojson')).toMatchObject({
      name: 'lines',
      wkb_type_name: 'LineString',
      geom_type_name: 'Line',
      provider_name: 'ogr',
      datasource: './lines.geojson',
      filename: 'lines.geojson',
      is_valid: true,
      error_code: 'no_error',
      fields: [expect.objectContaining({ name: 'kind', type: 'String' })],
    });
  });

  it('reports the layer whose file is missing as invalid, naming the file', () => {
    expect(layer('broken')).toMatchObject({
      is_valid: false,
      error_code: 'invalid_dataprovider',
      filename: 'broken.gpkg',
      error_summary: expect.stringContaining('broken.gpkg'),
    });
  });

  it('removes the user and password from a datasource, everywhere in the result', () => {
    expect(layer('postgres_password')).toMatchObject({ provider_name: 'postgres', is_valid: false, error_code: 'invalid_dataprovider', filename: '' });
    expect(layer('postgres_password').datasource).toContain("dbname='field' host=127.0.0.1 port=1");
    const text = fs.readFileSync(path.join(run.workdir, 'result.json'), 'utf8') + run.output;
    expect(text).not.toContain('s3cret-pw');
    expect(text).not.toContain('surveyor');
  });

  it('leaks no path of the work folder into the details', () => {
    expect(JSON.stringify(details())).not.toContain(run.workdir);
  });

  it('renders a 100x100 PNG thumbnail', () => {
    expect(run.result!.thumbnail).toBe('thumbnail.png');
    expect(pngSize(fs.readFileSync(path.join(run.workdir, 'thumbnail.png')))).toEqual({ width: 100, height: 100 });
  });

  it('opens the project read-only: the project files are unchanged and nothing is added beside them', () => {
    expect(hashes(path.join(run.workdir, 'files'))).toEqual(before);
  });
});

describe('qgis/fieldbase_qgis/datasource.py', () => {
  /** without_credentials() of each source, run by the QGIS Python (it needs no QGIS). */
  function withoutCredentials(sources: string[]): string[] {
    const code =
      'import json, sys\nfrom fieldbase_qgis.datasource import without_credentials\nprint(json.dumps([without_credentials(s) for s in json.load(sys.stdin)]))';
    const run = spawnSync(QGIS_PYTHON, ['-c', code], { cwd: QGIS_SCRIPTS, input: JSON.stringify(sources), encoding: 'utf8' });
    expect(run.stderr).toBe('');
    return JSON.parse(run.stdout);
  }

  it('removes user names and passwords from database, web and URL sources and keeps the rest', () => {
    const cases: [string, string][] = [
      [
        String.raw`dbname='gis' host=db port=5432 user='alice' password='it\'s secret' sslmode=disable table="a"."b" (geom)`,
        `dbname='gis' host=db port=5432 sslmode=disable table="a"."b" (geom)`,
      ],
      ['dbname=gis user=alice password=plain host=db', 'dbname=gis host=db'],
      [
        'contextualWMSLegend=0&crs=EPSG:3857&password=pw&url=https://example.com/wms&username=alice',
        'contextualWMSLegend=0&crs=EPSG:3857&url=https://example.com/wms',
      ],
      ['url=https://alice:pw@example.com/wfs?typename=x', 'url=https://example.com/wfs?typename=x'],
      ['type=xyz&url=https%3A%2F%2Falice%3Apw%40tiles.example.com%2F%7Bz%7D', 'type=xyz&url=https%3A%2F%2Ftiles.example.com%2F%7Bz%7D'],
      ["authcfg=abc1234 dbname='gis' host=db", "authcfg=abc1234 dbname='gis' host=db"],
      ['./data/points.gpkg|layername=points', './data/points.gpkg|layername=points'],
      ['', ''],
    ];
    expect(withoutCredentials(cases.map(([source]) => source))).toEqual(cases.map(([, expected]) => expected));
  });
});

describe('qgis/process_projectfile.py on a .qgz without a saved canvas extent', () => {
  let made: MadeProject;
  let run: JobRun;
  let before: Record<string, string>;

  beforeAll(async () => {
    made = await project({ format: 'qgz', name: 'survey', title: 'Survey 2026', noViewExtent: true });
    before = hashes(made.dir);
    run = await job({ project_file: made.project_file }, made.dir);
  });

  it('reads the zipped project with its GeoPackage and GeoJSON layers', () => {
    expect(made.project_file).toBe('survey.qgz');
    expect(run.code).toBe(0);
    expect(run.result!.feedback.error).toBeUndefined();
    const details = run.result!.project_details;
    expect(details.project_name).toBe('Survey 2026');
    expect(
      Object.values(details.layers_by_id)
        .map((layer: any) => [layer.name, layer.is_valid, layer.filename])
        .sort(),
    ).toEqual([
      ['lines', true, 'lines.geojson'],
      ['points', true, 'points.gpkg'],
    ]);
  });

  it('uses the defaults of spec §10.4 where QFieldSync stored nothing', () => {
    const details = run.result!.project_details;
    expect(details.attachment_dirs).toEqual(['DCIM']);
    expect(details.data_dirs).toEqual([]);
    for (const layer of Object.values(details.layers_by_id) as any[]) expect(layer.qfs_cloud_action).toBeNull();
  });

  it('falls back to the full extent of the layers for the extent and the thumbnail', () => {
    // The data itself: 7.0–7.05, 46.0–46.05.
    expect(run.result!.project_details.extent).toBe(
      'POLYGON((7 46, 7.04999999999999982 46, 7.04999999999999982 46.04999999999999716, 7 46.04999999999999716, 7 46))',
    );
    expect(pngSize(fs.readFileSync(path.join(run.workdir, run.result!.thumbnail)))).toEqual({ width: 100, height: 100 });
  });

  it('leaves the .qgz and its data untouched', () => {
    expect(hashes(path.join(run.workdir, 'files'))).toEqual(before);
  });
});

describe('qgis/process_projectfile.py on a project saved by QGIS Desktop', () => {
  it('uses the saved map canvas extent (<mapcanvas name="theMapCanvas">), also in another CRS', async () => {
    const made = await project({ layers: ['points_gpkg'], noViewExtent: true });
    const file = path.join(made.dir, made.project_file);
    // What Desktop writes on save: the main canvas, here in Web Mercator around 7.01–7.02 E, 46.01–46.02 N.
    const canvas =
      '<mapcanvas name="theMapCanvas" annotationsVisible="1"><units>meters</units>' +
      '<extent><xmin>780349.63</xmin><ymin>5781951.87</ymin><xmax>781462.83</xmax><ymax>5783554.81</ymax></extent>' +
      '<rotation>0</rotation><destinationsrs><spatialrefsys nativeFormat="Wkt"><wkt></wkt>' +
      '<proj4>+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs</proj4>' +
      '<srsid>3857</srsid><srid>3857</srid><authid>EPSG:3857</authid><description>WGS 84 / Pseudo-Mercator</description></spatialrefsys></destinationsrs>' +
      '<rendermaptile>0</rendermaptile><expressionContextScope/></mapcanvas>';
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('</qgis>', `${canvas}</qgis>`));
    const run = await job({ project_file: made.project_file }, made.dir);
    expect(run.result!.feedback.error).toBeUndefined();
    const numbers = run.result!.project_details.extent.match(/-?\d+(\.\d+)?/g)!.map(Number);
    const [xs, ys] = [numbers.filter((_: number, i: number) => i % 2 === 0), numbers.filter((_: number, i: number) => i % 2 === 1)];
    expect([Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)].map((n) => n.toFixed(2))).toEqual(['7.01', '7.02', '46.01', '46.02']);
    expect(pngSize(fs.readFileSync(path.join(run.workdir, 'thumbnail.png')))).toEqual({ width: 100, height: 100 });
  });
});

describe('qgis/process_projectfile.py failures: result.json says why, exit 0', () => {
  const failed = (run: JobRun, errorType: string) => {
    expect(run.code).toBe(0);
    expect(run.result).toMatchObject({ project_details: null, thumbnail: null });
    expect(run.result!.feedback).toMatchObject({ feedback_version: '2.0', error: expect.any(String), error_type: errorType });
    expect(fs.existsSync(path.join(run.workdir, 'thumbnail.png'))).toBe(false);
  };

  it.each([
    ['text in a .qgs', 'notes.qgs', 'this is not a QGIS project\n'],
    ['XML whose root is not <qgis>', 'other.qgs', '<?xml version="1.0"?>\n<kml><Document/></kml>\n'],
    ['a .qgz that is not a zip', 'broken.qgz', 'PK but no zip'],
    ['a .qgs truncated mid-element', 'cut.qgs', '<!DOCTYPE qgis><qgis version="3.22.16-Białowieża" projectname=""><title>cu'],
  ])('%s is INVALID_PROJECT_FILE', async (_, name, content) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-not-a-project-'));
    temps.push(dir);
    fs.writeFileSync(path.join(dir, name), content);
    const run = await job({ project_file: name }, dir);
    failed(run, 'INVALID_PROJECT_FILE');
    expect(run.result!.feedback.error).toContain(name);
    expect(run.result!.feedback.error).not.toContain(run.workdir);
    // QGIS started, then the project check failed and the steps after it never ran.
    expect(run.result!.feedback.steps.map((step: any) => [step.id, step.stage])).toEqual([
      ['start_qgis', 2],
      ['project_validity_check', 1],
    ]);
  });

  it('a project file missing from files/ is FILE_NOT_FOUND', async () => {
    const run = await job({ project_file: 'gone/project.qgs' });
    failed(run, 'FILE_NOT_FOUND');
    expect(run.result!.feedback.error).toContain('gone/project.qgs');
  });

  it("without QGIS's Python API the job is MISSING_QGIS, naming the packages", async () => {
    // -S leaves out site-packages, where Debian puts the qgis module.
    const run = await job({ project_file: 'project.qgs' }, undefined, { pythonArgs: ['-S'] });
    failed(run, 'MISSING_QGIS');
    expect(run.result!.feedback.error).toContain('python3-qgis');
  });

  it('under a memory cap too small to load QGIS the job fails and says the limit may be the cause', async () => {
    const run = await job({ project_file: 'project.qgs' }, undefined, { launcher: ['/bin/sh', '-c', 'ulimit -v 400000 && exec "$@"', 'sh'] });
    failed(run, 'UNKNOWN');
    expect(run.result!.feedback.error).toContain('memory limit');
  });

  it('an unexpected exception is UNKNOWN with the stack', async () => {
    const run = await job({ project_file: undefined });
    failed(run, 'UNKNOWN');
    expect(run.result!.feedback.error_stack).toContain('Traceback');
    expect(run.result!.feedback.error_stack).toContain('project_file');
  });
});

describe('a job whose worker dies', () => {
  it('ends with it: a worker killed with kill -9 leaves no job process running', async () => {
    const workdir = makeWorkdir('fieldbase-job-');
    temps.push(workdir);
    fs.writeFileSync(path.join(workdir, 'job.json'), JSON.stringify({ id: '00000000-0000-4000-8000-000000000003', type: 'sleeping' }));
    // The worker's own runner (built into dist/ by npm test), in a process of its own to kill.
    const runner = pathToFileURL(path.resolve('dist/src/worker/qgis-process.js')).href;
    const options = { python: QGIS_PYTHON, script: path.join(QGIS_SCRIPTS, 'tests', 'sleeping_job.py'), workdir, timeoutMs: 600_000, memoryMb: 4096 };
    const worker = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { runQgisScript } = await import(${JSON.stringify(runner)}); await runQgisScript(${JSON.stringify(options)}).result;`,
      ],
      { stdio: 'ignore' },
    );
    const pidFile = path.join(workdir, 'pid');
    const job = await waitFor('the job to run', async () => fs.existsSync(pidFile) && Number(fs.readFileSync(pidFile, 'utf8')), 30_000);
    expect(processExists(job)).toBe(true);

    worker.kill('SIGKILL');
    await waitFor('the job to end with its worker', async () => !processExists(job), 5_000);
  });
});
