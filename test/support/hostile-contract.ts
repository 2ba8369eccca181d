import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The error codes of the contract's §2 table with their status: the one place the hostile-input and
 * security tests read them from. `specErrorCodes()` reads the same table out of the contract itself
 * (when the checkout has it next to the repository), so a code added there cannot be missed here.
 */
export const DOCUMENTED_ERRORS: Record<string, number> = {
  validation_error: 400,
  project_already_exists: 400,
  qgis_project_file_not_allowed: 400,
  multiple_qgis_project_files: 400,
  invalid_qgis_project_file: 400,
  no_qgis_project: 400,
  invalid_deltafile: 400,
  empty_content: 400,
  invalid_job: 400,
  no_deltas_to_apply: 400,
  not_authenticated: 401,
  authentication_failed: 401,
  token_authentication_failed: 401,
  too_many_failed_login_attempts: 401,
  over_quota: 402,
  permission_denied: 403,
  object_not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  too_many_requests: 429,
  unknown_error: 500,
};

export const SPEC_PATH = fileURLToPath(new URL('../../../shared/spec/api.md', import.meta.url));

/** `code → status` of the §2 table of the contract, or null when the contract is not checked out beside us. */
export function specErrorCodes(specPath = SPEC_PATH): Record<string, number> | null {
  if (!fs.existsSync(specPath)) return null;
  const text = fs.readFileSync(specPath, 'utf8');
  const section = text.slice(text.indexOf('## 2. Errors'), text.indexOf('## 3.'));
  const codes: Record<string, number> = {};
  for (const match of section.matchAll(/^\|\s*(\d{3})\s*\|\s*`([a-z_]+)`\s*\|/gm)) codes[match[2]] = Number(match[1]);
  return codes;
}

/**
 * The endpoints the contract names (§3–§9), as `METHOD /path` with OpenAPI-style `{params}` and no
 * trailing slash. The hostile-input test covers the union of these and whatever the served OpenAPI
 * document lists, so a route added to the code is covered without touching this list.
 */
export const CONTRACT_ROUTES = [
  'GET /api/v1/status',
  'GET /api/v1/openapi.json',
  'GET /api/v1/docs',
  'POST /api/v1/auth/token',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/logout',
  'GET /api/v1/auth/logout',
  'GET /api/v1/auth/user',
  'POST /api/v1/users',
  'GET /api/v1/users',
  'GET /api/v1/users/{username}',
  'PATCH /api/v1/users/{username}',
  'DELETE /api/v1/users/{username}',
  'POST /api/v1/organizations',
  'GET /api/v1/organizations',
  'GET /api/v1/users/{username}/organizations',
  'GET /api/v1/members/{organization}',
  'POST /api/v1/members/{organization}',
  'GET /api/v1/members/{organization}/{username}',
  'PATCH /api/v1/members/{organization}/{username}',
  'PUT /api/v1/members/{organization}/{username}',
  'DELETE /api/v1/members/{organization}/{username}',
  'GET /api/v1/organizations/{organization}/teams',
  'POST /api/v1/organizations/{organization}/teams',
  'GET /api/v1/organizations/{organization}/teams/{team}',
  'PUT /api/v1/organizations/{organization}/teams/{team}',
  'DELETE /api/v1/organizations/{organization}/teams/{team}',
  'GET /api/v1/organizations/{organization}/teams/{team}/members',
  'POST /api/v1/organizations/{organization}/teams/{team}/members',
  'DELETE /api/v1/organizations/{organization}/teams/{team}/members/{username}',
  'GET /api/v1/projects',
  'POST /api/v1/projects',
  'GET /api/v1/projects/public',
  'GET /api/v1/projects/{projectId}',
  'PATCH /api/v1/projects/{projectId}',
  'PUT /api/v1/projects/{projectId}',
  'DELETE /api/v1/projects/{projectId}',
  'POST /api/v1/projects/{projectId}/thumbnail',
  'GET /api/v1/files/thumbnails/{projectId}',
  'GET /api/v1/collaborators/{projectId}',
  'POST /api/v1/collaborators/{projectId}',
  'GET /api/v1/collaborators/{projectId}/{username}',
  'PATCH /api/v1/collaborators/{projectId}/{username}',
  'PUT /api/v1/collaborators/{projectId}/{username}',
  'DELETE /api/v1/collaborators/{projectId}/{username}',
  'GET /api/v1/files/{projectId}',
  'POST /api/v1/files/{projectId}/{path}',
  'GET /api/v1/files/{projectId}/{path}',
  'DELETE /api/v1/files/{projectId}/{path}',
];

/** Routes that exist but are no part of the OpenAPI document itself: the document, its YAML twin and the docs page. */
export const ROUTES_OUTSIDE_THE_DOCUMENT = ['GET /api/v1/openapi.json', 'GET /api/v1/openapi.yaml', 'GET /api/v1/docs'];

/** What a client must get for a non-2xx answer (§2): the envelope, with a documented code that fits the status. */
export function envelopeProblem(status: number, contentType: string | undefined, body: unknown): string | null {
  if (!/^application\/json\b/.test(contentType ?? '')) return `content type ${contentType ?? '(none)'} is not application/json`;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body is not a JSON object';
  const { code, message, detail, ...rest } = body as Record<string, unknown>;
  if (Object.keys(rest).length) return `extra keys ${Object.keys(rest).join(', ')}`;
  if (typeof code !== 'string' || !(code in DOCUMENTED_ERRORS)) return `code ${JSON.stringify(code)} is not documented in §2`;
  if (DOCUMENTED_ERRORS[code] !== status) return `code ${code} belongs to ${DOCUMENTED_ERRORS[code]}, not ${status}`;
  if (typeof message !== 'string' || message.length === 0) return 'message is not a non-empty string';
  if (detail !== undefined && (typeof detail !== 'object' || detail === null || Array.isArray(detail))) return 'detail is not an object';
  return null;
}
