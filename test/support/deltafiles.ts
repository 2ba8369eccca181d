import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { qgs } from './qgis-files.js';
import { putFile } from './kit.js';
import { auth, type TestApp } from './test-app.js';

// Delta files as QField writes them (spec §11.1, shared/notes/field-sync.md), and the push as it sends
// them: multipart, a `text` part `{}` and the file in `file`, named by its absolute path on the device.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** The fields every delta row has (spec §11.2), in this order. */
export const DELTA_ROW_FIELDS = ['id', 'deltafile_id', 'created_by', 'created_at', 'updated_at', 'status', 'last_status', 'last_feedback', 'output', 'content'];

/** One delta of `method` on the layer `points`, its keys as QField sends them; `fields` override or add. */
export function delta(method: 'create' | 'patch' | 'delete', fields: Json = {}): Json {
  const states: Json = {
    create: { new: { attributes: { fid: 7, name: 'oak', height: 12.5 }, geometry: 'Point (2600000 1200000)' } },
    patch: { old: { attributes: { name: 'oak' } }, new: { attributes: { name: 'beech' } } },
    delete: { old: { attributes: { fid: 3, name: 'ash', height: 4 }, geometry: 'Point (2600010 1200010)' } },
  };
  return {
    uuid: randomUUID(),
    clientId: 'device-1',
    exportId: randomUUID(),
    localLayerId: 'points_8d2f',
    localLayerName: 'points',
    localLayerCrs: 'EPSG:2056',
    sourceLayerId: 'points_8d2f',
    localPk: method === 'create' ? '7' : '3',
    sourcePk: method === 'create' ? '' : '3',
    method,
    ...states[method],
    ...fields,
  };
}

/** A delta file for `projectId`. */
export const deltafile = (projectId: string, deltas: Json[], fields: Json = {}): Json => ({
  version: '1.0',
  id: randomUUID(),
  project: projectId,
  files: [],
  deltas,
  ...fields,
});

/** POST /deltas/{projectId}/ as QField sends it; `file`: an object (as JSON), raw bytes, or null for no `file` part. */
export function pushDeltas(t: TestApp, token: string, projectId: string, file: Json | Buffer | string | null, options: { slash?: boolean } = {}) {
  const req = request(t.http)
    .post(`/api/v1/deltas/${projectId}${options.slash === false ? '' : '/'}`)
    .set(auth(token))
    .field('text', '{}');
  if (file === null) return req;
  const bytes = Buffer.isBuffer(file) ? file : Buffer.from(typeof file === 'string' ? file : JSON.stringify(file));
  return req.attach('file', bytes, { filename: `/storage/emulated/0/QField/cloud/${projectId}/deltafile.json`, contentType: 'application/json' });
}

/** A project of the token's person with a QGIS file, ready for deltas. */
export async function projectWithQgisFile(t: TestApp, token: string, name: string, fields: Json = {}): Promise<string> {
  const res = await request(t.http)
    .post('/api/v1/projects/')
    .set(auth(token))
    .send({ name, ...fields });
  if (res.status !== 201) throw new Error(`creating ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  await putFile(t, token, res.body.id, 'survey.qgs', qgs());
  return res.body.id;
}
