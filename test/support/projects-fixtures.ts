// What the projects e2e files share: the projects API as a caller uses it, thumbnails, and looks into
// the collaborator rows.
import request from 'supertest';
import { binary, createProject } from './kit.js';
import { auth, type TestApp } from './test-app.js';

export const PROJECTS = '/api/v1/projects/';

export /** The project object of spec §5.1, fields in the order of the table. */
const PROJECT_FIELDS = [
  'id',
  'name',
  'project_type',
  'owner',
  'description',
  'private',
  'is_public',
  'created_at',
  'updated_at',
  'data_last_packaged_at',
  'data_last_updated_at',
  'restricted_data_last_updated_at',
  'can_repackage',
  'needs_repackaging',
  'status',
  'user_role',
  'user_role_origin',
  'shared_datasets_project_id',
  'is_shared_datasets_project',
  'is_featured',
  'is_attachment_download_on_demand',
  'has_restricted_projectfiles',
  'overwrite_conflicts',
  'file_storage_bytes',
  'the_qgis_file_name',
  'qgis_version',
];

export async function collaboratorNames(t: TestApp, projectId: string): Promise<string[]> {
  const rows = await t.sql<{ username: string }>(
    `SELECT a.username FROM project_collaborators c JOIN accounts a ON a.id = c.collaborator_id WHERE c.project_id = $1 ORDER BY a.username`,
    [projectId],
  );
  return rows.map((row) => row.username);
}

/** The projects routes as one caller uses them (spec §5). */
export function projectsApi(t: TestApp) {
  return {
    create: (token: string, body: Record<string, unknown>) => request(t.http).post(PROJECTS).set(auth(token)).send(body),
    createForm: (token: string, form: string) => request(t.http).post(PROJECTS).set(auth(token)).type('form').send(form),
    get: (token: string, id: string) => request(t.http).get(`${PROJECTS}${id}/`).set(auth(token)),
    patch: (token: string, id: string, body?: Record<string, unknown>) => {
      const req = request(t.http).patch(`${PROJECTS}${id}/`).set(auth(token));
      return body === undefined ? req : req.send(body);
    },
    patchForm: (token: string, id: string, form: string) => request(t.http).patch(`${PROJECTS}${id}/`).set(auth(token)).type('form').send(form),
    put: (token: string, id: string, body: Record<string, unknown>) => request(t.http).put(`${PROJECTS}${id}/`).set(auth(token)).send(body),
    del: (token: string, id: string) => request(t.http).delete(`${PROJECTS}${id}/`).set(auth(token)),
    /** Creates a project and returns it; fails loudly when the create does not answer 201. */
    project: (token: string, name: string, extra: Record<string, unknown> = {}) => createProject(t, token, { name, ...extra }),
  };
}

/** The stored objects of a project's thumbnail, through the configured storage driver. */
export const storedThumbnails = (t: TestApp, projectId: string): Promise<string[]> => t.storedKeys(`thumbnails/${projectId}/`);
export const uploadThumbnail = (t: TestApp, token: string, projectId: string, bytes: Buffer, filename = 'thumbnail.png') =>
  request(t.http).post(`${PROJECTS}${projectId}/thumbnail/`).set(auth(token)).attach('thumbnail', bytes, filename);
export const getThumbnail = (t: TestApp, token: string, projectId: string) =>
  request(t.http).get(`/api/v1/files/thumbnails/${projectId}/`).set(auth(token)).buffer(true).parse(binary);
