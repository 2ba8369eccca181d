import request from 'supertest';
import { auth, type TestApp } from './test-app.js';
import { qgs, qgz } from './qgis-files.js';

/** The 1×1 PNG used as a thumbnail. */
export const TINY_PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f0a0000000049454e44ae426082',
  'hex',
);

export interface HostileFixture {
  tokens: { alice: string; bob: string; admin: string };
  passwords: Record<string, string>;
  projects: Record<'fieldSurvey' | 'forestInventory' | 'bobNotes' | 'sharedDatasets', string>;
  /** Values that lead a route deep into its handler, per OpenAPI path parameter name. */
  validParams: Record<string, string[]>;
}

async function ok(res: request.Response | Promise<request.Response>, status: number, what: string): Promise<request.Response> {
  const answer = await res;
  if (answer.status !== status) throw new Error(`seeding: ${what} answered ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer;
}

/**
 * A small but realistic world: persons, an organization with members and a team, projects of a person
 * and of the organization, collaborators, files (a QGIS file, an attachment, data) and a thumbnail.
 * alice (a plain person) owns the organization and most projects, so her requests get past the role
 * checks into the handlers; admin is staff.
 */
export async function seedHostileFixture(t: TestApp): Promise<HostileFixture> {
  const passwords: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  for (const name of ['alice', 'bob', 'carol', 'dave']) {
    passwords[name] = `${name}-secret-password`;
    tokens[name] = await t.createPerson(name, { password: passwords[name] });
  }
  const admin = await t.adminToken();
  const as = (token: string) => ({
    post: (url: string, body: object) => request(t.http).post(url).set(auth(token)).send(body),
  });

  await ok(as(tokens.alice).post('/api/v1/organizations/', { username: 'acme', email: 'office@acme.example' }), 201, 'organization acme');
  await ok(as(tokens.bob).post('/api/v1/organizations/', { username: 'northwind' }), 201, 'organization northwind');
  await ok(as(tokens.alice).post('/api/v1/members/acme/', { member: 'bob', role: 'admin' }), 201, 'member bob');
  await ok(as(tokens.alice).post('/api/v1/members/acme/', { member: 'carol', role: 'member' }), 201, 'member carol');
  await ok(as(tokens.alice).post('/api/v1/organizations/acme/teams/', { team: 'surveyors' }), 201, 'team surveyors');
  await ok(as(tokens.alice).post('/api/v1/organizations/acme/teams/surveyors/members/', { member: 'carol' }), 201, 'team member carol');

  const project = async (token: string, body: object) =>
    (await ok(as(token).post('/api/v1/projects/', body), 201, `project ${JSON.stringify(body)}`)).body.id as string;
  const projects = {
    fieldSurvey: await project(tokens.alice, { name: 'field-survey', description: 'Tree survey 2026' }),
    forestInventory: await project(tokens.alice, { name: 'forest-inventory', owner: 'acme', is_public: true }),
    bobNotes: await project(tokens.bob, { name: 'bob-notes' }),
    sharedDatasets: await project(tokens.alice, { name: 'shared_datasets' }),
  };
  await ok(as(tokens.alice).post(`/api/v1/collaborators/${projects.fieldSurvey}/`, { collaborator: 'carol', role: 'editor' }), 201, 'collaborator carol');
  await ok(
    as(tokens.alice).post(`/api/v1/collaborators/${projects.forestInventory}/`, { collaborator: '@acme/surveyors', role: 'reporter' }),
    201,
    'team collaborator',
  );
  await ok(as(tokens.bob).post(`/api/v1/collaborators/${projects.bobNotes}/`, { collaborator: 'dave', role: 'reader' }), 201, 'collaborator dave');

  const upload = (token: string, projectId: string, file: string, content: Buffer) =>
    ok(
      request(t.http)
        .post(`/api/v1/files/${projectId}/${file.split('/').map(encodeURIComponent).join('/')}/`)
        .set(auth(token))
        .attach('file', content, file.split('/').pop()),
      201,
      `upload ${file}`,
    );
  await upload(tokens.alice, projects.fieldSurvey, 'field-survey.qgs', qgs('3.40.0'));
  await upload(tokens.alice, projects.fieldSurvey, 'DCIM/photo-0001.jpg', Buffer.alloc(700, 7));
  await upload(tokens.alice, projects.fieldSurvey, 'data/points.gpkg', Buffer.alloc(300, 1));
  await upload(tokens.alice, projects.fieldSurvey, 'data/points.gpkg', Buffer.alloc(310, 2));
  await upload(tokens.alice, projects.forestInventory, 'forest.qgz', qgz('forest'));
  await upload(tokens.alice, projects.sharedDatasets, 'basemap.gpkg', Buffer.alloc(128, 3));
  await ok(
    request(t.http).post(`/api/v1/projects/${projects.fieldSurvey}/thumbnail/`).set(auth(tokens.alice)).attach('thumbnail', TINY_PNG, 'thumb.png'),
    204,
    'thumbnail',
  );

  // A delta file of the project with a QGIS file (spec §11.1), so the delta routes are reached with a known file.
  const deltafileId = '5d1c0e4a-6f7b-4c8e-9a2d-3b4c5d6e7f80';
  const deltas = [
    {
      uuid: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
      clientId: 'phone',
      localLayerId: 'points',
      sourceLayerId: '',
      localPk: '1',
      sourcePk: '',
      method: 'create',
      new: { attributes: { name: 'oak' } },
    },
  ];
  await ok(
    request(t.http)
      .post(`/api/v1/deltas/${projects.fieldSurvey}/`)
      .set(auth(tokens.alice))
      .attach('file', Buffer.from(JSON.stringify({ version: '1.0', id: deltafileId, project: projects.fieldSurvey, files: [], deltas })), 'deltas.json'),
    200,
    'delta file',
  );

  return {
    tokens: { alice: tokens.alice, bob: tokens.bob, admin },
    passwords,
    projects,
    validParams: {
      // Never the acting persons themselves: a hostile write that happens to succeed must not lock them out.
      username: ['bob', 'carol', 'dave', 'acme', 'northwind'],
      organization: ['acme', 'northwind'],
      team: ['surveyors'],
      projectId: Object.values(projects),
      path: ['field-survey.qgs', 'DCIM/photo-0001.jpg', 'data/points.gpkg', 'forest.qgz'],
      deltafileId: [deltafileId],
    },
  };
}
