import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { buildOpenApiDocument } from '../src/app.factory.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const COMMITTED = path.resolve('openapi.json');

/** `npm run openapi` regenerates the committed openapi.json (UPDATE_OPENAPI=1); the test keeps it in step. */
describe('OpenAPI document (spec §9)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PUBLIC_URL: 'https://elsewhere.example.com', MAX_PAGE_LIMIT: '7' });
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

  it('is identical to the committed openapi.json (run `npm run openapi` after changing a route)', () => {
    const committed = JSON.parse(fs.readFileSync(COMMITTED, 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument(t.fieldbase.app))));
  });

  it('declares the Token security scheme, required everywhere except the anonymous endpoints', () => {
    const doc = buildOpenApiDocument(t.fieldbase.app);
    expect(doc.components?.securitySchemes?.Token).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization' });
    expect(doc.security).toEqual([{ Token: [] }]);
    expect(doc.paths['/api/v1/auth/login']?.post?.security).toEqual([]);
    expect(doc.paths['/api/v1/status']?.get?.security).toEqual([]);
    expect(doc.paths['/api/v1/auth/user']?.get?.security).toBeUndefined();
  });

  it('describes every route with an operation id and its error responses', () => {
    const doc = buildOpenApiDocument(t.fieldbase.app);
    const ids: string[] = [];
    for (const [route, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods as Record<string, { operationId?: string; responses?: object }>)) {
        expect(`${method} ${route} ${operation.operationId}`).toMatch(/ [a-z][A-Za-z]+$/);
        ids.push(operation.operationId!);
        expect(Object.keys(operation.responses ?? {}).length).toBeGreaterThan(0);
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(10);
    expect(doc.components?.schemas?.ErrorResponse).toBeDefined();
  });
});
