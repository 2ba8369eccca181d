import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The QGIS scripts of qgis/ run as the worker runs them (ref QGIS contract): Debian's python3-qgis
 * (.ci/run installs it; a missing QGIS is a broken machine, never a reason to skip), an environment
 * built from scratch, cwd = the work folder. Shared by the scripts' own tests and the jobs e2e tests.
 */
export const QGIS_PYTHON = process.env.QGIS_PYTHON ?? '/usr/bin/python3';
export const QGIS_SCRIPTS = path.resolve('qgis');

/** The environment of the contract: nothing from ours but PATH; QGIS writes only inside `workdir`. */
export function qgisEnv(workdir: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    QT_QPA_PLATFORM: 'offscreen',
    QGIS_PREFIX_PATH: '/usr',
    XDG_RUNTIME_DIR: path.join(workdir, '.runtime'),
    QGIS_CUSTOM_CONFIG_PATH: path.join(workdir, '.qgis'),
    HOME: workdir,
  };
}

/** A new work folder with its private runtime folder (Qt refuses one other users may read). */
export function makeWorkdir(prefix = 'fieldbase-qgis-'): string {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.mkdirSync(path.join(workdir, '.runtime'), { mode: 0o700 });
  return workdir;
}

export interface ScriptRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved, as the worker keeps them for the job's log. */
  output: string;
}

export interface ScriptOptions {
  /** Default: a fresh one. */
  workdir?: string;
  /** Added to, or overriding, the contract's environment. */
  env?: NodeJS.ProcessEnv;
  /** Options of the Python interpreter itself, before the script. */
  pythonArgs?: string[];
  /** A command that runs the rest, e.g. `['/bin/sh', '-c', 'ulimit -v 500000; exec "$@"', 'sh']`. */
  launcher?: string[];
}

/** Runs `qgis/<script>` with `args` in the work folder, as the worker does. */
export function runQgisScript(script: string, args: string[], options: ScriptOptions = {}): Promise<ScriptRun> {
  const workdir = options.workdir ?? makeWorkdir();
  const [command, ...commandArgs] = [...(options.launcher ?? []), QGIS_PYTHON, ...(options.pythonArgs ?? []), path.join(QGIS_SCRIPTS, script), ...args];
  const child = spawn(command, commandArgs, {
    cwd: workdir,
    env: { ...qgisEnv(workdir), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => ((stdout += chunk), (output += chunk)));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => ((stderr += chunk), (output += chunk)));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, output }));
  });
}

export interface ProjectOptions {
  format?: 'qgs' | 'qgz';
  name?: string;
  title?: string;
  /**
   * Layer kinds of qgis/tests/make_project.py: points_gpkg, lines_geojson, broken, postgres_password, many:<n>,
   * areas_gpkg_id, areas_shp, table_csv, sites_csv_text, dem_tif.
   */
  layers?: string[];
  attachmentDirs?: string[];
  dataDirs?: string[];
  /** QFieldSync/cloud_action of every layer. */
  cloudAction?: string;
  /** Save no canvas extent, as projects written by scripts. */
  noViewExtent?: boolean;
  /** QFieldSync/cloud_action per layer kind (overrides `cloudAction`). */
  layerActions?: Record<string, string>;
  /** Add XML elements no QGIS knows, as a project saved by a newer QGIS. */
  futureXml?: boolean;
}

export interface MadeProject {
  dir: string;
  /** The .qgs/.qgz, relative to `dir`. */
  project_file: string;
  /** Every file written, relative to `dir`, the project file included. */
  files: string[];
  /** Layer ids by kind (`many:<n>` layers as many_01, many_02…). */
  layer_ids: Record<string, string>;
}

/** Builds a real QGIS project with its layer files in `dir` (default: a new temp folder). */
export async function makeProject(options: ProjectOptions = {}, dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-project-'))): Promise<MadeProject> {
  const args = [dir];
  if (options.format) args.push('--format', options.format);
  if (options.name) args.push('--name', options.name);
  if (options.title !== undefined) args.push('--title', options.title);
  if (options.layers) args.push('--layers', options.layers.join(','));
  if (options.attachmentDirs) args.push('--attachment-dirs', options.attachmentDirs.join(','));
  if (options.dataDirs) args.push('--data-dirs', options.dataDirs.join(','));
  if (options.cloudAction) args.push('--cloud-action', options.cloudAction);
  if (options.noViewExtent) args.push('--no-view-extent');
  if (options.layerActions)
    args.push(
      '--layer-actions',
      Object.entries(options.layerActions)
        .map(([kind, action]) => `${kind}=${action}`)
        .join(','),
    );
  if (options.futureXml) args.push('--future-xml');
  const workdir = makeWorkdir();
  try {
    const run = await runQgisScript('tests/make_project.py', args, { workdir });
    if (run.code !== 0) throw new Error(`make_project.py exited ${run.code ?? run.signal}:\n${run.output}`);
    return { dir, ...(JSON.parse(run.stdout.trim().split('\n').pop()!) as Omit<MadeProject, 'dir'>) };
  } finally {
    fs.rmSync(workdir, { recursive: true, force: true });
  }
}

export interface JobRun extends ScriptRun {
  workdir: string;
  /** result.json, or null when the script wrote none (a crash to the worker). */
  result: { feedback: Record<string, any>; [key: string]: any } | null;
}

/**
 * Runs the job script of `input.type` on a copy of `projectDir` as the worker does: `files/` holds
 * the project's files, `job.json` the input. `input` may omit or break fields to test the script.
 */
export async function runJobScript(input: Record<string, unknown>, projectDir?: string, options: Omit<ScriptOptions, 'workdir'> = {}): Promise<JobRun> {
  const workdir = makeWorkdir('fieldbase-job-');
  fs.mkdirSync(path.join(workdir, 'files'));
  if (projectDir) fs.cpSync(projectDir, path.join(workdir, 'files'), { recursive: true });
  const job: Record<string, unknown> = { id: '00000000-0000-4000-8000-000000000001', project_id: '00000000-0000-4000-8000-000000000002', ...input };
  fs.writeFileSync(path.join(workdir, 'job.json'), JSON.stringify(job));
  const run = await runQgisScript(`${String(job.type)}.py`, [workdir], { ...options, workdir });
  const resultFile = path.join(workdir, 'result.json');
  const result = fs.existsSync(resultFile) ? JSON.parse(fs.readFileSync(resultFile, 'utf8')) : null;
  return { ...run, workdir, result };
}

export interface InspectedLayer {
  name: string;
  provider: string;
  /** As stored in the project file (relative paths stay relative). */
  datasource: string;
  /** The layer's file relative to the project's folder, "" for online layers. */
  file: string;
  is_valid: boolean;
  feature_count: number | null;
  read_only: boolean | null;
  fields: string[] | null;
  properties: Record<string, string | boolean>;
}

export interface InspectedProject {
  title: string;
  layers: Record<string, InspectedLayer>;
  layer_tree: string[];
}

/** Opens a project with QGIS (qgis/tests/inspect_project.py) and reads its layers as QField would see them. */
export async function inspectProject(projectFile: string): Promise<InspectedProject> {
  const workdir = makeWorkdir();
  try {
    const run = await runQgisScript('tests/inspect_project.py', [projectFile], { workdir });
    if (run.code !== 0) throw new Error(`inspect_project.py exited ${run.code ?? run.signal}:\n${run.output}`);
    return JSON.parse(run.stdout.trim().split('\n').pop()!) as InspectedProject;
  } finally {
    fs.rmSync(workdir, { recursive: true, force: true });
  }
}
