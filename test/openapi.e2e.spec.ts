import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import { buildOpenApiDocument } from '../src/app.factory.js';
import { ERROR_CODES } from '../src/common/openapi.js';
import { describeProblems, redoclyLint } from './support/openapi-lint.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const COMMITTED = path.resolve('openapi.json');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** Every operation of the document with its method and path. */
function operations(doc: Json): { method: string; route: string; operation: Json }[] {
  return Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([route, item]) =>
    Object.entries(item).map(([method, operation]) => ({ method, route, operation })),
  );
}

/** `npm run openapi` regenerates the committed openapi.json (UPDATE_OPENAPI=1); the test keeps it in step. */
describe('OpenAPI document (spec §9)', () => {
  let t: TestApp;
  let served: Json;
  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL: 'https://elsewhere.example.com', MAX_PAGE_LIMIT: '7' });
    served = (await request(t.http).get('/api/v1/openapi.json')).body;
  });
  afterAll(() => t.close());

  it('serves the document without authentication, independent of the request and configuration', async () => {
    const generated = JSON.parse(JSON.stringify(buildOpenApiDocument(t.fieldbase.app)));
    if (process.env.UPDATE_OPENAPI) fs.writeFileSync(COMMITTED, JSON.stringify(generated, null, 2) + '\n');
    const a = await request(t.http).get('/api/v1/openapi.json');
    const b = await request(t.http).get('/api/v1/openapi.json').set('Host', 'other.example.org').set('X-Forwarded-Proto', 'https');
    expect(a.status).toBe(200);
    expect(a.body).toEqual(generated);
    expect(b.body).toEqual(a.body);
    expect(a.body.servers).toEqual([{ url: '/' }]);
  });

  it('serves the same document as YAML at openapi.yaml', async () => {
    const res = await request(t.http).get('/api/v1/openapi.yaml');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/yaml/);
    expect(parseYaml(res.text)).toEqual(served);
  });

  it('is identical to the committed openapi.json (run `npm run openapi` after changing a route)', () => {
    const committed = JSON.parse(fs.readFileSync(COMMITTED, 'utf8'));
    expect(committed).toEqual(served);
  });

  it('passes `redocly lint` with the repository rules, which do catch a broken document', async () => {
    // The control: the organization path parameter left undeclared, as the document once had it.
    const broken = JSON.parse(JSON.stringify(served));
    const listMembers = broken.paths['/api/v1/members/{organization}'].get;
    listMembers.parameters = listMembers.parameters.filter((p: Json) => p.name !== 'organization');
    const problems = await redoclyLint({ served, broken });
    expect(describeProblems(problems.served)).toEqual([]);
    expect(problems.broken.map((p) => p.ruleId)).toContain('path-parameters-defined');
  });

  it('declares the Token security scheme: required everywhere but login and status, optional on logout', () => {
    expect(served.components.securitySchemes.Token).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization' });
    expect(served.security).toEqual([{ Token: [] }]);
    const security = Object.fromEntries(operations(served).map(({ operation }) => [operation.operationId, operation.security]));
    expect(security).toMatchObject({ login: [], obtainToken: [], getStatus: [], logout: [{}, { Token: [] }], logoutWithGet: [{}, { Token: [] }] });
    const secured = operations(served).filter(({ operation }) => operation.security === undefined);
    expect(secured.length).toBe(operations(served).length - 5);
    for (const { operation } of secured) expect(`${operation.operationId} ${Object.keys(operation.responses)}`).toMatch(/,401,/);
  });

  it('gives every operation a stable camelCase operation id, a summary and a description from the contract', () => {
    const ids = operations(served).map(({ operation }) => operation.operationId);
    for (const { method, route, operation } of operations(served)) {
      expect(`${method} ${route} ${operation.operationId}`).toMatch(/ [a-z][A-Za-z]+$/);
      expect(operation.summary).toEqual(expect.any(String));
      expect(operation.description).toEqual(expect.any(String));
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(57);
    expect(ids).toEqual(expect.arrayContaining(['listProjects', 'createProject', 'updateProject', 'uploadProjectThumbnail', 'addCollaborator', 'login']));
  });

  it('declares every path parameter with its type (project ids are UUIDs)', () => {
    for (const { route, operation } of operations(served)) {
      const names = [...route.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = operation.parameters.filter((p: Json) => p.in === 'path');
      expect(declared.map((p: Json) => p.name)).toEqual(names);
      for (const parameter of declared) {
        expect(parameter).toMatchObject({ required: true, schema: { type: 'string' } });
        if (parameter.name === 'projectId') expect(parameter.schema.format).toBe('uuid');
      }
    }
  });

  it('accepts JSON, form and multipart bodies on every write endpoint, multipart only for uploads (spec §1)', () => {
    const writes = operations(served).filter(({ operation }) => operation.requestBody);
    expect(writes.length).toBe(22);
    for (const { operation } of writes) {
      const types = Object.keys(operation.requestBody.content).sort();
      if (operation.operationId.startsWith('upload')) {
        expect(types).toEqual(['multipart/form-data']);
      } else {
        expect(types).toEqual(['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data']);
        const [json, form, multipart] = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'].map(
          (type) => operation.requestBody.content[type].schema,
        );
        expect(form).toEqual(json);
        expect(multipart).toEqual(json);
      }
    }
    // An empty PATCH answers the unchanged project, so the body is optional there; PUT needs the name.
    const project = served.paths['/api/v1/projects/{projectId}'];
    expect(project.patch.requestBody.required).toBe(false);
    expect(project.put.requestBody.required).toBe(true);
    expect(project.put.requestBody.content['application/json'].schema.required).toEqual(['name']);
  });

  it('answers lists as bare arrays with the pagination parameters and headers (spec §7)', () => {
    const lists = operations(served).filter(({ operation }) => operation.operationId.startsWith('list'));
    expect(lists.length).toBe(12);
    for (const { operation } of lists) {
      const ok = operation.responses['200'];
      expect(ok.content['application/json'].schema.type).toBe('array');
      expect(Object.keys(ok.headers)).toEqual(['X-Total-Count', 'X-Next-Page', 'X-Previous-Page']);
      const query = operation.parameters.filter((p: Json) => p.in === 'query').map((p: Json) => [p.name, p.schema]);
      expect(query).toEqual(
        expect.arrayContaining([
          ['limit', { type: 'integer', minimum: 0 }],
          ['offset', { type: 'integer', minimum: 0 }],
        ]),
      );
    }
    expect(served.paths['/api/v1/users'].get.responses['200'].content['application/json'].schema.items.oneOf).toHaveLength(2);
  });

  it('describes every error response with the envelope, its code narrowed to the codes of the contract', () => {
    const envelope = served.components.schemas.ErrorResponse;
    expect(envelope.required).toEqual(['code', 'message', 'detail']);
    expect(envelope.properties.code.enum.sort()).toEqual(Object.keys(ERROR_CODES).sort());
    let errors = 0;
    for (const { operation } of operations(served)) {
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['429', '500']));
      for (const [status, response] of Object.entries(operation.responses as Record<string, Json>)) {
        if (Number(status) < 400 || (operation.operationId === 'getStatus' && status === '503')) continue;
        errors++;
        const schema = response.content['application/json'].schema;
        expect(schema.allOf).toEqual([{ $ref: '#/components/schemas/ErrorResponse' }]);
        for (const code of schema.properties.code.enum) {
          expect(Object.keys(ERROR_CODES)).toContain(code);
          expect(response.description).toContain(`\`${code}\``);
        }
      }
    }
    expect(errors).toBeGreaterThan(200);
    expect(served.paths['/api/v1/auth/login'].post.responses['401'].content['application/json'].schema.properties.code.enum).toEqual([
      'authentication_failed',
      'too_many_failed_login_attempts',
    ]);
  });
});
