import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { waitFor, type Job, type Target } from './jobs.js';
import { binary, encodePath, s3Etag } from './kit.js';
import { makeWorkdir, runQgisScript } from './qgis.js';

/**
 * A field device as QField is one (shared notes field-sync.md): it packages and downloads a project
 * over HTTP, reads the packaged layers, writes deltas against them in QField's format (spec §11.1),
 * pushes the delta file and polls it until every delta is done. For the round-trip test and the
 * deltas bench; nothing here knows the server's internals.
 */

const API = '/api/v1';
const authorization = (token: string) => ({ Authorization: `Token ${token}` });

/** QField polls jobs and delta files every second. */
const QFIELD_POLL_MS = 1000;

export type Value = string | number | boolean | null;

export interface DumpedFeature {
  /** The feature id of the layer's provider (a GeoPackage's fid). */
  id: number;
  attributes: Record<string, Value>;
  /** WKT with at most 8 decimals, or null for no geometry. */
  geometry: string | null;
}

export interface DumpedLayer {
  name: string;
  crs: string;
  /** Relative to the project's folder. */
  file: string;
  is_valid: boolean;
  properties: Record<string, string | boolean>;
  primary_keys: string[];
  fields: string[];
  features: DumpedFeature[];
}

/** Every vector layer of a project, by layer id, with all its features (qgis/tests/dump_features.py). */
export async function dumpFeatures(projectFile: string): Promise<Record<string, DumpedLayer>> {
  const workdir = makeWorkdir();
  try {
    const run = await runQgisScript('tests/dump_features.py', [projectFile], { workdir });
    if (run.code !== 0) throw new Error(`dump_features.py exited ${run.code ?? run.signal}:\n${run.output}`);
    return (JSON.parse(run.stdout.trim().split('\n').pop()!) as { layers: Record<string, DumpedLayer> }).layers;
  } finally {
    fs.rmSync(workdir, { recursive: true, force: true });
  }
}

async function downloadTo(http: Target, token: string, route: string, file: string): Promise<Buffer> {
  const res = await request(http).get(route).set(authorization(token)).buffer(true).parse(binary);
  if (res.status !== 200) throw new Error(`GET ${route}: ${res.status}`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, res.body as Buffer);
  return res.body as Buffer;
}

/**
 * QField's download: POST /jobs/ with a JSON body (never `force`), poll the job every second until it
 * ends. Throws when it failed.
 */
export async function packageAsQField(http: Target, token: string, projectId: string, timeoutMs = 180_000): Promise<Job> {
  const created = await request(http).post(`${API}/jobs/`).set(authorization(token)).type('json').send({ project_id: projectId, type: 'package' });
  if (created.status !== 201 && created.status !== 200) throw new Error(`POST /jobs/ package: ${created.status} ${JSON.stringify(created.body)}`);
  const job = await waitFor(
    `package job ${created.body.id}`,
    async () => {
      const res = await request(http).get(`${API}/jobs/${created.body.id}/`).set(authorization(token));
      return ['finished', 'failed'].includes(res.body.status) ? (res.body as Job) : null;
    },
    timeoutMs,
    QFIELD_POLL_MS,
  );
  if (job.status !== 'finished') throw new Error(`the package job failed: ${JSON.stringify(job.feedback)}\n${job.output}`);
  return job;
}

export interface DownloadedPackage {
  /** GET /packages/{p}/latest/ as served. */
  latest: Record<string, any>;
  /** The package's project file, absolute. */
  projectFile: string;
}

/** GET latest/, then every listed file from latest/files/{name}/ into `dir`; each md5sum checked. */
export async function downloadPackage(http: Target, token: string, projectId: string, dir: string): Promise<DownloadedPackage> {
  const res = await request(http).get(`${API}/packages/${projectId}/latest/`).set(authorization(token));
  if (res.status !== 200) throw new Error(`GET latest/: ${res.status} ${JSON.stringify(res.body)}`);
  for (const file of res.body.files as { name: string; md5sum: string }[]) {
    const bytes = await downloadTo(http, token, `${API}/packages/${projectId}/latest/files/${encodePath(file.name)}/`, path.join(dir, file.name));
    if (s3Etag(bytes) !== file.md5sum) throw new Error(`${file.name}: downloaded bytes do not match md5sum ${file.md5sum}`);
  }
  // QField opens the one project file at the package's root.
  const projectFiles = fs.readdirSync(dir).filter((name) => /\.qg[sz]$/.test(name));
  if (projectFiles.length !== 1) throw new Error(`the package's root holds ${projectFiles.length} project files: ${projectFiles.join(', ')}`);
  return { latest: res.body, projectFile: path.join(dir, projectFiles[0]) };
}

/** The newest version of every project file (GET /files/{p}/, then each) into `dir`; the names. */
export async function downloadProjectFiles(http: Target, token: string, projectId: string, dir: string): Promise<string[]> {
  const res = await request(http).get(`${API}/files/${projectId}/`).set(authorization(token));
  if (res.status !== 200) throw new Error(`GET /files/: ${res.status} ${JSON.stringify(res.body)}`);
  const names = (res.body as { name: string }[]).map((file) => file.name);
  for (const name of names) await downloadTo(http, token, `${API}/files/${projectId}/${encodePath(name)}/`, path.join(dir, name));
  return names;
}

// ---- deltas (spec §11.1, in QField's format) ----

export interface DeltaSide {
  geometry?: string | null;
  attributes?: Record<string, Value>;
}

export interface Delta {
  uuid: string;
  clientId: string;
  exportId: string;
  localLayerId: string;
  localLayerName: string;
  localLayerCrs: string;
  sourceLayerId: string;
  localPk: string;
  sourcePk: string;
  method: 'create' | 'patch' | 'delete';
  old?: DeltaSide;
  new?: DeltaSide;
}

export interface DeltaFile {
  version: '1.0';
  id: string;
  project: string;
  files: string[];
  deltas: Delta[];
}

/**
 * Writes deltas against one packaged layer as QField's edit tracking does: localLayerId is the
 * packaged layer's id, sourceLayerId its `remoteLayerId` property, localPk the package's key,
 * sourcePk the value of the field `QFieldSync/sourceDataPrimaryKeys` names ("" on create).
 */
export class LayerEdits {
  private readonly key: string;

  constructor(
    readonly layerId: string,
    readonly layer: DumpedLayer,
    readonly device: { clientId: string; exportId: string },
  ) {
    this.key = String(layer.properties['QFieldSync/sourceDataPrimaryKeys'] ?? '');
    if (!this.key) throw new Error(`layer ${layer.name} has no QFieldSync/sourceDataPrimaryKeys: QField cannot edit it`);
  }

  /** A new feature with every field, as QField records it; its localPk is the one the package's GeoPackage would give it. */
  create(attributes: Record<string, Value>, geometry: string | null, localPk = this.nextLocalPk()): Delta {
    const all = Object.fromEntries(this.layer.fields.map((field) => [field, field === this.key ? localPk : (attributes[field] ?? null)]));
    return this.delta('create', String(localPk), '', { new: { geometry, attributes: all } });
  }

  /** Only the changed attributes (and the geometry when it changed), old and new. */
  patch(feature: DumpedFeature, attributes: Record<string, Value>, geometry?: string): Delta {
    const before = Object.fromEntries(Object.keys(attributes).map((field) => [field, feature.attributes[field]]));
    const old: DeltaSide = Object.keys(attributes).length ? { attributes: before } : {};
    const changed: DeltaSide = Object.keys(attributes).length ? { attributes } : {};
    if (geometry !== undefined) {
      old.geometry = feature.geometry;
      changed.geometry = geometry;
    }
    return this.delta('patch', String(feature.id), this.sourcePk(feature), { old, new: changed });
  }

  /** The whole feature as it was. */
  delete(feature: DumpedFeature): Delta {
    return this.delta('delete', String(feature.id), this.sourcePk(feature), { old: { geometry: feature.geometry, attributes: feature.attributes } });
  }

  private nextLocalPk(): number {
    return Math.max(0, ...this.layer.features.map((feature) => feature.id)) + 1;
  }

  private sourcePk(feature: DumpedFeature): string {
    return String(feature.attributes[this.key]);
  }

  private delta(method: Delta['method'], localPk: string, sourcePk: string, sides: Pick<Delta, 'old' | 'new'>): Delta {
    return {
      uuid: randomUUID(),
      clientId: this.device.clientId,
      exportId: this.device.exportId,
      localLayerId: this.layerId,
      localLayerName: this.layer.name,
      localLayerCrs: this.layer.crs,
      sourceLayerId: String(this.layer.properties.remoteLayerId ?? ''),
      localPk,
      sourcePk,
      method,
      ...sides,
    };
  }
}

export function deltaFile(projectId: string, deltas: Delta[]): DeltaFile {
  return { version: '1.0', id: randomUUID(), project: projectId, files: [], deltas };
}

/** A device's identity: QField's clientId and the export it works on. */
export const newDevice = () => ({ clientId: randomUUID(), exportId: randomUUID() });

/** Where QField on Android keeps a cloud project's delta file; it sends this absolute path as the file name. */
const devicePath = (projectId: string) => `/storage/emulated/0/Android/data/ch.opengis.qfield/files/QField/cloud/${projectId}/deltafile.json`;

/** QField's push: multipart, a `text` part `{}` and the delta file as `file` named by its absolute device path. */
export function pushDeltas(http: Target, token: string, projectId: string, file: DeltaFile | Buffer): request.Test {
  const options = { filepath: devicePath(projectId), contentType: 'application/json' };
  const bytes = Buffer.isBuffer(file) ? file : Buffer.from(JSON.stringify(file));
  return request(http).post(`${API}/deltas/${projectId}/`).set(authorization(token)).field('text', '{}').attach('file', bytes, options);
}

export type DeltaRow = Record<string, any>;

const UNSETTLED = ['STATUS_PENDING', 'STATUS_BUSY'];

/** QField's wait: GET /deltas/{p}/{deltafile}/ every second until no row is pending or busy; the rows. */
export function deltasSettled(
  http: Target,
  token: string,
  projectId: string,
  deltafileId: string,
  timeoutMs = 180_000,
  everyMs = QFIELD_POLL_MS,
): Promise<DeltaRow[]> {
  return waitFor(
    `the deltas of ${deltafileId} to be applied`,
    async () => {
      const res = await request(http).get(`${API}/deltas/${projectId}/${deltafileId}/`).set(authorization(token));
      if (res.status !== 200) throw new Error(`GET /deltas/${projectId}/${deltafileId}/: ${res.status} ${JSON.stringify(res.body)}`);
      const rows = res.body as DeltaRow[];
      // An empty answer is an error to QField.
      if (rows.length === 0) throw new Error(`GET /deltas/${projectId}/${deltafileId}/ answered no rows`);
      return rows.some((row) => UNSETTLED.includes(row.status)) ? null : rows;
    },
    timeoutMs,
    everyMs,
  );
}
