// What the project-list e2e files share: the project as the lists show it and reading a list.
import request from 'supertest';
import { auth, type TestApp } from './test-app.js';

export interface Project {
  id: string;
  name: string;
  owner: string;
  is_public: boolean;
  is_featured: boolean;
  created_at: string;
  user_role: string | null;
  user_role_origin: string | null;
}

export const PAGE_HEADERS = ['x-total-count', 'x-next-page', 'x-previous-page'];

export const get = (t: TestApp, path: string, token: string) => request(t.http).get(path).set(auth(token));

/** GET a list and return its body (asserting a 200 bare array). */
export async function list(t: TestApp, path: string, token: string): Promise<Project[]> {
  const res = await get(t, path, token);
  if (res.status !== 200 || !Array.isArray(res.body)) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Project[];
}

export const ids = (projects: Project[]) => projects.map((p) => p.id);
export const names = (projects: Project[]) => projects.map((p) => `${p.owner}/${p.name}`).sort();

export function queryOf(link: string): Record<string, string> {
  return Object.fromEntries(new URL(link).searchParams);
}

// ---------------------------------------------------------------------------------------------------
