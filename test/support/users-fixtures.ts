// What the users e2e files share (spec §4, §4.1): the person object's fields and the users routes.
import request from 'supertest';
import type { Response } from 'supertest';
import { auth, type TestApp } from './test-app.js';

/** The person object's fields, in order, as the person themself and staff see it (spec §4.1). */
export const FULL_KEYS = [
  'username',
  'type',
  'full_name',
  'first_name',
  'last_name',
  'email',
  'avatar_url',
  'is_staff',
  'storage_quota_bytes',
  'storage_used_bytes',
];
/** What everybody else sees. */
export const PUBLIC_KEYS = ['username', 'type', 'full_name', 'avatar_url'];

/** The path and query of an absolute link, to follow it against the test server. */
export function pathOf(link: string): string {
  const url = new URL(link);
  return url.pathname + url.search;
}

export const noPaginationHeaders = (res: Response) => {
  expect(res.headers['x-total-count']).toBeUndefined();
  expect(res.headers['x-next-page']).toBeUndefined();
  expect(res.headers['x-previous-page']).toBeUndefined();
};

/** Logs in without throwing: the raw response. */
export const tryLogin = (t: TestApp, username: string, password: string) => request(t.http).post('/api/v1/auth/login/').send({ username, password });

/** The users routes as a caller uses them; the token defaults to the admin's. */
export function usersApi(app: () => TestApp, admin: () => string) {
  return {
    create: (body: Record<string, unknown>, token = admin()) => request(app().http).post('/api/v1/users/').set(auth(token)).send(body),
    getUser: (name: string, token = admin()) => request(app().http).get(`/api/v1/users/${name}/`).set(auth(token)),
    patch: (name: string, body: Record<string, unknown>, token: string) => request(app().http).patch(`/api/v1/users/${name}/`).set(auth(token)).send(body),
  };
}
