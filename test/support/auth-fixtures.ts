// What the authentication e2e files share (spec §3): login requests, tokens, and group accounts with a
// password hash no API would give them.
import request from 'supertest';
import { sleep } from './kit.js';
import type { TestApp } from './test-app.js';

export const LOGIN_PATHS = ['/api/v1/auth/login/', '/api/v1/auth/token/'] as const;
export const LOGIN_FIELDS = ['token', 'expires_at', 'username', 'type', 'email', 'avatar_url', 'first_name', 'last_name', 'full_name'];
export const PERSON_FIELDS = [
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
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
export const LOGGED_OUT = { detail: 'Successfully logged out.' };
export const SDK_UA = 'sdk|py|1.0';
export const HOUR_MS = 3_600_000;

/** Sleeps until the given time (epoch milliseconds). */
export const sleepUntil = (epochMs: number) => sleep(Math.max(0, epochMs - Date.now()));

/**
 * Inserts an organization (type 2) or team (type 3) row directly, so that it can be given a password
 * hash no API would give it. Fills the owner / parent-organization link when the schema has one.
 */
export async function insertGroupAccount(
  t: TestApp,
  row: { type: 2 | 3; username: string; email?: string | null; passwordHashOf?: string; ownerId: string },
): Promise<string> {
  const columns = new Set(
    (await t.sql<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts'`)).map((c) => c.column_name),
  );
  const link = row.type === 2 ? 'organization_owner_id' : 'team_organization_id';
  const [inserted] = await t.sql<{ id: string }>(
    `INSERT INTO accounts (type, username, email, password_hash${columns.has(link) ? `, ${link}` : ''})
     VALUES ($1, $2, $3, (SELECT password_hash FROM accounts WHERE username = $4)${columns.has(link) ? ', $5' : ''})
     RETURNING id`,
    [row.type, row.username, row.email ?? null, row.passwordHashOf ?? null, ...(columns.has(link) ? [row.ownerId] : [])],
  );
  return inserted.id;
}

/** POST /auth/login/ with a JSON body; the whole response. */
export function login(t: TestApp, body: Record<string, string>, options: { userAgent?: string; ip?: string; path?: string } = {}) {
  const req = request(t.http).post(options.path ?? '/api/v1/auth/login/');
  if (options.userAgent !== undefined) req.set('User-Agent', options.userAgent);
  if (options.ip !== undefined) req.set('X-Forwarded-For', options.ip);
  return req.send(body);
}

/** A token for the person, logging in with the given User-Agent. */
export async function tokenFor(t: TestApp, person: { username: string; password: string }, userAgent: string): Promise<string> {
  const res = await login(t, { username: person.username, password: person.password }, { userAgent });
  if (res.status !== 200) throw new Error(`login of ${person.username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}

/** GET /auth/user/ with the raw Authorization header value. */
export const whoAmI = (t: TestApp, authorization: string) => request(t.http).get('/api/v1/auth/user/').set('Authorization', authorization);
export const statusOf = async (t: TestApp, token: string) => (await whoAmI(t, `Token ${token}`)).status;
