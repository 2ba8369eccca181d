import { ValidationFailed } from '../common/errors.js';

/** Words that would collide with routes or with QFieldCloud's own names (spec §4), refused in any case. */
export const RESERVED_NAMES = new Set([
  'api',
  'auth',
  'collaborators',
  'docs',
  'files',
  'members',
  'openapi',
  'organization',
  'organizations',
  'owner',
  'project',
  'projects',
  'public',
  'shared_datasets',
  'status',
  'team',
  'teams',
  'user',
  'users',
]);

const ACCOUNT_NAME = /^[A-Za-z][A-Za-z0-9_-]{2,149}$/;

/** The character rules of account names (spec §4): 3–150 characters, a letter first, then letters, digits, - and _. */
export function nameCharactersProblem(name: string): string | null {
  return ACCOUNT_NAME.test(name) ? null : 'Must be 3–150 characters: a letter, then letters, digits, "-" or "_"';
}

/** Person and organization names: the character rules, and not a reserved word. */
export function accountNameProblem(name: string): string | null {
  if (RESERVED_NAMES.has(name.toLowerCase())) return `"${name}" is a reserved name`;
  return nameCharactersProblem(name);
}

export function assertAccountName(name: string, field = 'username'): void {
  const problem = accountNameProblem(name);
  if (problem) throw ValidationFailed.field(field, problem);
}

export const MIN_PASSWORD_LENGTH = 8;
