import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { ADMIN, startTestApp, type TestApp } from './support/test-app.js';
import { OpenApiResponseValidator } from './support/openapi-validator.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A 1×1 RGBA PNG. */
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f0a0000000049454e44ae426082',
  'hex',
);
/**
 * Send a body form-encoded, as the SDK does. openapi-fetch would do it from the Content-Type alone, but
 * under jest its header check fails across realms (`headers.get instanceof Function`), so say it twice.
 */
const AS_FORM = {
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  bodySerializer: (body: Record<string, string>) => new URLSearchParams(body).toString(),
};

/**
 * Issue 8.2: a client generated from the served OpenAPI document (openapi-typescript types, openapi-fetch
 * calls) drives a whole scenario against the real server, and every answer, errors included, is checked
 * against the document's schema for that operation and status. A disagreement fails the step it occurs in.
 */
describe('a client generated from the OpenAPI document', () => {
  let t: TestApp;
  let baseUrl: string;
  let document: Json;
  let validator: OpenApiResponseValidator;
  const seen: string[] = [];

  /** Every answer through this middleware is validated; a problem fails the call that got it. */
  const validating: Middleware = {
    async onResponse({ request, response, schemaPath }) {
      const problems = validator.validate({
        method: request.method,
        route: schemaPath,
        status: response.status,
        headers: response.headers,
        body: await response.clone().text(),
      });
      if (problems.length) throw new Error(`the answer disagrees with the OpenAPI document:\n${problems.join('\n')}`);
      seen.push(`${request.method} ${schemaPath} ${response.status}`);
    },
  };
  // The types are generated at test time (see the last test); at runtime the client needs none.
  const client = (token?: string): Client<Json> => {
    const c = createClient<Json>({ baseUrl, headers: token ? { Authorization: `Token ${token}` } : {} });
    c.use(validating);
    return c;
  };

  beforeAll(async () => {
    t = await startTestApp();
    await t.fieldbase.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(t.fieldbase.app.getHttpServer().address() as AddressInfo).port}`;
    document = await (await fetch(`${baseUrl}/api/v1/openapi.json`)).json();
    validator = new OpenApiResponseValidator(document);
  });
  afterAll(() => t?.close());

  it('logs in, builds an organization and a team, and creates, pages, updates, transfers and deletes projects with their thumbnail and collaborators', async () => {
    const anonymous = client();
    expect((await anonymous.GET('/api/v1/status', {})).data).toEqual({ database: 'ok', storage: 'ok', worker: 'off' });

    // Login with a form body, as the SDK sends it; a wrong password and a missing token are envelopes.
    const adminLogin = await anonymous.POST('/api/v1/auth/login', { body: { username: ADMIN.username, password: ADMIN.password }, ...AS_FORM });
    expect(adminLogin.error).toBeUndefined();
    expect(adminLogin.data).toMatchObject({ username: 'admin', type: '1' });
    const wrong = await anonymous.POST('/api/v1/auth/login', { body: { username: 'admin', password: 'not-it' } });
    expect(wrong.response.status).toBe(401);
    expect(wrong.error.code).toBe('authentication_failed');
    expect((await anonymous.GET('/api/v1/auth/user', {})).error.code).toBe('not_authenticated');

    const admin = client(adminLogin.data.token);
    for (const username of ['alice', 'bob']) {
      const created = await admin.POST('/api/v1/users', { body: { username, email: `${username}@example.com`, password: `${username}-password` } });
      expect(created.response.status).toBe(201);
    }
    const again = await admin.POST('/api/v1/users', { body: { username: 'alice', email: 'alice2@example.com', password: 'alice-password' } });
    expect(again.error).toMatchObject({ code: 'validation_error' });

    const aliceLogin = await anonymous.POST('/api/v1/auth/token', { body: { username: 'alice@example.com', password: 'alice-password' } });
    const alice = client(aliceLogin.data.token);
    const bob = client((await anonymous.POST('/api/v1/auth/login', { body: { username: 'bob', password: 'bob-password' } })).data.token);
    expect((await alice.GET('/api/v1/auth/user', {})).data).toMatchObject({ username: 'alice', email: 'alice@example.com' });

    // An organization with bob as a member and a team.
    const org = await alice.POST('/api/v1/organizations', { body: { username: 'surveyors' } });
    expect(org.data).toMatchObject({ username: 'surveyors', type: 2, organization_owner: 'alice', membership_role: 'admin' });
    const organization = { path: { organization: 'surveyors' } };
    expect((await alice.POST('/api/v1/members/{organization}', { params: organization, body: { member: 'bob', role: 'member' } })).data).toMatchObject({
      member: 'bob',
      role: 'member',
    });
    const team = await alice.POST('/api/v1/organizations/{organization}/teams', { params: organization, body: { team: 'crew' } });
    expect(team.data).toEqual({ team: 'crew', organization: 'surveyors', members: [] });
    const crew = { path: { organization: 'surveyors', team: 'crew' } };
    expect((await alice.POST('/api/v1/organizations/{organization}/teams/{team}/members', { params: crew, body: { member: 'bob' } })).data).toEqual({
      member: 'bob',
    });
    expect((await alice.GET('/api/v1/organizations/{organization}/teams/{team}/members', { params: crew })).data).toEqual([{ member: 'bob' }]);
    expect((await bob.GET('/api/v1/users/{username}', { params: { path: { username: 'surveyors' } } })).data).toMatchObject({
      type: 2,
      members: ['bob'],
      teams: ['crew'],
    });
    expect((await alice.GET('/api/v1/users', { params: { query: { q: 'o' } } })).data.map((a: Json) => a.username)).toEqual(['bob', 'surveyors']);

    // Five projects, JSON and form bodies alternating; a duplicate name is an envelope.
    const names = ['p1-survey', 'p2-roads', 'p3-rivers', 'p4-trees', 'p5-wells'];
    const ids: string[] = [];
    for (const [i, name] of names.entries()) {
      const created = await alice.POST('/api/v1/projects', { body: { name, description: `project ${i + 1}`, is_public: 0 }, ...(i % 2 ? AS_FORM : {}) });
      expect(created.data).toMatchObject({ name, owner: 'alice', user_role: 'admin', user_role_origin: 'direct', is_public: false });
      ids.push(created.data.id);
    }
    const duplicate = await alice.POST('/api/v1/projects', { body: { name: 'p1-survey' } });
    expect(duplicate.error.code).toBe('project_already_exists');

    // Page through by the X-Next-Page links, taking limit and offset from them as the SDK does.
    const paged: string[] = [];
    let query: Record<string, string> = { limit: '2', ordering: 'name' };
    for (let pages = 1; ; pages++) {
      const page = await alice.GET('/api/v1/projects', { params: { query } });
      expect(page.response.headers.get('X-Total-Count')).toBe('5');
      paged.push(...page.data.map((p: Json) => p.name));
      const next = page.response.headers.get('X-Next-Page');
      if (!next) {
        expect(pages).toBe(3);
        break;
      }
      const url = new URL(next);
      expect(url.pathname.replace(/\/$/, '')).toBe('/api/v1/projects');
      query = Object.fromEntries(url.searchParams);
    }
    expect(paged).toEqual(names);
    expect((await alice.GET('/api/v1/projects', { params: { query: { limit: 'two' } } })).error.code).toBe('validation_error');

    // Update (PATCH, form booleans as the SDK sends them), replace (PUT), read back.
    const project = (id: string) => ({ path: { projectId: id } });
    const patched = await alice.PATCH('/api/v1/projects/{projectId}', {
      params: project(ids[0]),
      body: { description: 'updated', is_public: 'True' },
      ...AS_FORM,
    });
    expect(patched.data).toMatchObject({ description: 'updated', is_public: true, private: false });
    const put = await alice.PUT('/api/v1/projects/{projectId}', { params: project(ids[0]), body: { name: 'p1-survey-2026' } });
    expect(put.data).toMatchObject({ name: 'p1-survey-2026', description: 'updated' });
    expect((await bob.GET('/api/v1/projects/public', {})).data.map((p: Json) => [p.name, p.user_role, p.user_role_origin])).toEqual([
      ['p1-survey-2026', 'reader', 'public'],
    ]);
    expect((await bob.GET('/api/v1/projects/{projectId}', { params: project(ids[1]) })).error.code).toBe('permission_denied');
    expect((await alice.GET('/api/v1/projects/{projectId}', { params: project('not-a-uuid') })).error.code).toBe('validation_error');

    // The thumbnail: multipart upload, then the image; a non-image is an envelope.
    const thumbnail = (bytes: Buffer, type: string) => {
      const form = new FormData();
      form.append('thumbnail', new Blob([new Uint8Array(bytes)], { type }), 'thumbnail.png');
      return form;
    };
    const uploaded = await alice.POST('/api/v1/projects/{projectId}/thumbnail', { params: project(ids[0]), body: thumbnail(PNG, 'image/png') });
    expect(uploaded.response.status).toBe(204);
    const notImage = await alice.POST('/api/v1/projects/{projectId}/thumbnail', {
      params: project(ids[0]),
      body: thumbnail(Buffer.from('not an image'), 'image/png'),
    });
    expect(notImage.error.code).toBe('validation_error');
    const image = await bob.GET('/api/v1/files/thumbnails/{projectId}', { params: project(ids[0]), parseAs: 'arrayBuffer' });
    expect(image.response.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(image.data as ArrayBuffer)).toEqual(PNG);

    // Collaborators on a person's project: add, change the role, read; a team cannot collaborate here.
    const collaborators = project(ids[2]);
    const bobOn = { path: { projectId: ids[2], username: 'bob' } };
    expect((await alice.POST('/api/v1/collaborators/{projectId}', { params: collaborators, body: { collaborator: 'bob' } })).data).toMatchObject({
      collaborator: 'bob',
      role: 'reader',
      created_by: 'alice',
    });
    expect((await alice.PATCH('/api/v1/collaborators/{projectId}/{username}', { params: bobOn, body: { role: 'editor' }, ...AS_FORM })).data).toMatchObject({
      role: 'editor',
      updated_by: 'alice',
    });
    expect((await alice.GET('/api/v1/collaborators/{projectId}/{username}', { params: bobOn })).data).toMatchObject({ collaborator: 'bob', role: 'editor' });
    const teamOnPersonal = await alice.POST('/api/v1/collaborators/{projectId}', {
      params: collaborators,
      body: { collaborator: '@surveyors/crew', role: 'editor' },
    });
    expect(teamOnPersonal.error.code).toBe('validation_error');
    expect((await bob.GET('/api/v1/collaborators/{projectId}', { params: collaborators })).error.code).toBe('permission_denied');

    // Transfer to the organization: bob (a member) stays eligible; then the team joins, bob's role changes and he goes.
    const transferred = await alice.PATCH('/api/v1/projects/{projectId}', { params: collaborators, body: { owner: 'surveyors' } });
    expect(transferred.data).toMatchObject({ owner: 'surveyors', user_role: 'admin', user_role_origin: 'organization' });
    const teamOn = { path: { projectId: ids[2], username: '@surveyors/crew' } };
    expect(
      (await alice.POST('/api/v1/collaborators/{projectId}', { params: collaborators, body: { collaborator: '@surveyors/crew', role: 'manager' } })).data,
    ).toMatchObject({ collaborator: '@surveyors/crew', role: 'manager' });
    expect((await alice.PUT('/api/v1/collaborators/{projectId}/{username}', { params: bobOn, body: { role: 'reporter' } })).data).toMatchObject({
      role: 'reporter',
    });
    expect((await bob.GET('/api/v1/projects/{projectId}', { params: collaborators })).data).toMatchObject({ user_role: 'manager', user_role_origin: 'team' });
    expect((await alice.DELETE('/api/v1/collaborators/{projectId}/{username}', { params: bobOn })).response.status).toBe(204);
    expect((await alice.DELETE('/api/v1/collaborators/{projectId}/{username}', { params: teamOn })).response.status).toBe(204);
    expect((await alice.GET('/api/v1/collaborators/{projectId}', { params: collaborators })).data).toEqual([]);
    expect((await bob.GET('/api/v1/projects/{projectId}', { params: collaborators })).error.code).toBe('permission_denied');

    // Delete: a reader may not, the admin may; then it is gone.
    expect((await bob.DELETE('/api/v1/projects/{projectId}', { params: project(ids[0]) })).error.code).toBe('permission_denied');
    expect((await alice.DELETE('/api/v1/projects/{projectId}', { params: project(ids[0]) })).response.status).toBe(204);
    expect((await alice.GET('/api/v1/projects/{projectId}', { params: project(ids[0]) })).error.code).toBe('object_not_found');
    // Default order: by owner, then name; p3-rivers now belongs to surveyors.
    expect((await alice.GET('/api/v1/projects', {})).data.map((p: Json) => `${p.owner}/${p.name}`)).toEqual([
      'alice/p2-roads',
      'alice/p4-trees',
      'alice/p5-wells',
      'surveyors/p3-rivers',
    ]);

    // Logout expires the token; the old one is then refused.
    expect((await alice.POST('/api/v1/auth/logout', {})).data).toEqual({ detail: 'Successfully logged out.' });
    expect((await alice.GET('/api/v1/auth/user', {})).error.code).toBe('token_authentication_failed');

    // Every answer went through the validator: 54 of them (14 errors), covering these operations.
    expect(seen.length).toBe(54);
    expect(seen.filter((s) => / [45]\d\d$/.test(s)).length).toBe(14);
    const operationIds = new Set(seen.map((s) => s.split(' ')).map(([method, route]) => document.paths[route][method.toLowerCase()].operationId));
    expect([...operationIds].sort()).toEqual(
      (
        'addCollaborator addMember addTeamMember createOrganization createProject createTeam createUser deleteProject getCollaborator getCurrentUser ' +
        'getProject getProjectThumbnail getStatus getUser listCollaborators listProjects listPublicProjects listTeamMembers listUsers login logout ' +
        'obtainToken removeCollaborator replaceCollaborator replaceProject updateCollaborator updateProject uploadProjectThumbnail'
      ).split(' '),
    );
  });

  it('catches an answer that disagrees with the document', async () => {
    const token = await t.createPerson('carol');
    const created = await fetch(`${baseUrl}/api/v1/projects/`, {
      method: 'POST',
      headers: { Authorization: `Token ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'c1' }),
    });
    const body = await created.text();
    const answer = { method: 'POST', route: '/api/v1/projects', status: 201, headers: created.headers, body };
    expect(validator.validate(answer)).toEqual([]);

    // The same answer against documents that are wrong in the ways a drift would make them.
    const drifted = (change: (doc: Json) => void) => {
      const copy = JSON.parse(JSON.stringify(document));
      change(copy);
      return new OpenApiResponseValidator(copy).validate(answer);
    };
    expect(drifted((d) => (d.components.schemas.ProjectResponse.properties.user_role.enum = ['manager', null]))).toEqual([
      expect.stringContaining('/user_role must be equal to one of the allowed values'),
    ]);
    const withThumbnailUrl = (d: Json) => {
      d.components.schemas.ProjectResponse.properties.thumbnail_url = { type: 'string' };
      d.components.schemas.ProjectResponse.required.push('thumbnail_url');
    };
    expect(drifted(withThumbnailUrl)).toEqual([expect.stringContaining("must have required property 'thumbnail_url'")]);
    expect(drifted((d) => (d.components.schemas.ProjectResponse.properties.file_storage_bytes = { type: 'string' }))).toEqual([
      expect.stringContaining('/file_storage_bytes must be string'),
    ]);
    expect(drifted((d) => delete d.paths['/api/v1/projects'].post.responses['201']).join()).toContain('status not declared');
    expect(drifted((d) => (d.paths['/api/v1/projects'].post.responses['201'].content = { 'application/xml': {} })).join()).toContain(
      'content type "application/json" not declared',
    );
    expect(drifted((d) => delete d.paths['/api/v1/projects'].post.responses['201'].content).join()).toContain(
      'a body (application/json) where the document declares none',
    );

    // An error answer: its code must be one the document lists for that status.
    const forbidden = await fetch(`${baseUrl}/api/v1/projects/`, { headers: { Authorization: 'Token wrong' } });
    const error = { method: 'GET', route: '/api/v1/projects', status: 401, headers: forbidden.headers, body: await forbidden.text() };
    expect(validator.validate(error)).toEqual([]);
    expect(
      drifted((d) => (d.paths['/api/v1/projects'].get.responses['401'].content['application/json'].schema.properties.code.enum = ['not_authenticated'])).length,
    ).toBe(0);
    expect(new OpenApiResponseValidator(withErrorCodes(document, '/api/v1/projects', 'get', '401', ['not_authenticated'])).validate(error)).toEqual([
      expect.stringContaining('/code must be equal to one of the allowed values'),
    ]);

    // Pagination headers where the document declares none (an object answer) are a disagreement too.
    const page = await fetch(`${baseUrl}/api/v1/projects/?limit=1`, { headers: { Authorization: `Token ${token}` } });
    const list = { method: 'GET', route: '/api/v1/projects', status: 200, headers: page.headers, body: await page.text() };
    expect(validator.validate(list)).toEqual([]);
    const undeclared = JSON.parse(JSON.stringify(document));
    delete undeclared.paths['/api/v1/projects'].get.responses['200'].headers;
    expect(new OpenApiResponseValidator(undeclared).validate(list)).toEqual([expect.stringContaining('header X-Total-Count sent but not declared')]);
  });

  it('generates TypeScript types that compile, and that refuse calls the document does not allow', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fieldbase-openapi-client-'));
    try {
      fs.writeFileSync(path.join(dir, 'fieldbase-api.d.ts'), astToString(await openapiTS(document)));
      fs.writeFileSync(path.join(dir, 'scenario.ts'), TYPED_SCENARIO);
      const program = ts.createProgram([path.join(dir, 'scenario.ts')], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2023,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
        types: [],
        skipLibCheck: true,
        paths: { 'openapi-fetch': [path.resolve('node_modules/openapi-fetch/dist/index.d.mts')] },
      });
      const diagnostics = ts
        .getPreEmitDiagnostics(program)
        .map((d) => `${d.file ? path.basename(d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
      expect(diagnostics).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The document with the codes of one error response narrowed to `codes`. */
function withErrorCodes(document: Json, route: string, method: string, status: string, codes: string[]): Json {
  const copy = JSON.parse(JSON.stringify(document));
  copy.paths[route][method].responses[status].content['application/json'].schema.properties.code.enum = codes;
  return copy;
}

/**
 * Calls of the scenario against the generated types. The @ts-expect-error lines must fail to compile
 * (an unused one is itself an error), so types that went `any` fail the test as well.
 */
const TYPED_SCENARIO = `
import createClient from 'openapi-fetch';
import type { components, paths } from './fieldbase-api';

type Project = components['schemas']['ProjectResponse'];
const client = createClient<paths>({ baseUrl: 'http://127.0.0.1:8000' });

export async function scenario(): Promise<void> {
  const login = await client.POST('/api/v1/auth/login', { body: { username: 'alice', password: 'secret' } });
  const token: string | undefined = login.data?.token;
  const headers = { Authorization: 'Token ' + token };
  await client.POST('/api/v1/organizations', { headers, body: { username: 'surveyors' } });
  await client.POST('/api/v1/organizations/{organization}/teams', { headers, params: { path: { organization: 'surveyors' } }, body: { team: 'crew' } });
  const created = await client.POST('/api/v1/projects', { headers, body: { name: 'p1', is_public: false, project_type: 'template' } });
  if (created.error) {
    const code: components['schemas']['ErrorResponse']['code'] = created.error.code;
    void code;
    return;
  }
  const project: Project = created.data;
  const page = await client.GET('/api/v1/projects', { headers, params: { query: { limit: 2, offset: 0, include_public: true, ordering: 'name' } } });
  const names: string[] = (page.data ?? []).map((p) => p.name);
  const next: string | null = page.response.headers.get('X-Next-Page');
  void names, next;
  const updated = await client.PATCH('/api/v1/projects/{projectId}', { headers, params: { path: { projectId: project.id } }, body: { description: 'x', owner: 'surveyors' } });
  const role: 'admin' | 'manager' | 'editor' | 'reporter' | 'reader' | null | undefined = updated.data?.user_role;
  void role;
  const thumbnail = new FormData();
  await client.POST('/api/v1/projects/{projectId}/thumbnail', { headers, params: { path: { projectId: project.id } }, body: thumbnail as never });
  await client.POST('/api/v1/collaborators/{projectId}', { headers, params: { path: { projectId: project.id } }, body: { collaborator: 'bob', role: 'editor' } });
  await client.PATCH('/api/v1/collaborators/{projectId}/{username}', { headers, params: { path: { projectId: project.id, username: 'bob' } }, body: { role: 'reader' } });
  await client.DELETE('/api/v1/collaborators/{projectId}/{username}', { headers, params: { path: { projectId: project.id, username: 'bob' } } });
  await client.DELETE('/api/v1/projects/{projectId}', { headers, params: { path: { projectId: project.id } } });
  await client.POST('/api/v1/auth/logout', { headers });

  // @ts-expect-error: "owner" is not a project role
  await client.POST('/api/v1/collaborators/{projectId}', { headers, params: { path: { projectId: project.id } }, body: { collaborator: 'bob', role: 'owner' } });
  // @ts-expect-error: the project id is a required path parameter
  await client.GET('/api/v1/projects/{projectId}', { headers, params: { path: {} } });
  // @ts-expect-error: a project needs a name
  await client.POST('/api/v1/projects', { headers, body: { description: 'no name' } });
  // @ts-expect-error: shared_datasets comes only from the name
  await client.POST('/api/v1/projects', { headers, body: { name: 'p2', project_type: 'shared_datasets' } });
  // @ts-expect-error: no such route
  await client.GET('/api/v1/project', { headers });
}
`;
