/**
 * The role vocabulary every module speaks (a leaf: it imports nothing). What the roles allow lives with
 * the module that enforces it: the project permission table in projects/roles, the organization one in
 * organizations.
 */

/** Project roles, highest first (spec §6.1). */
export const PROJECT_ROLES = ['admin', 'manager', 'editor', 'reporter', 'reader'] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];

/** Where a role comes from; on equal roles the origin listed first wins (spec §6.2). */
export const ROLE_ORIGINS = ['direct', 'organization', 'team', 'public'] as const;
export type RoleOrigin = (typeof ROLE_ORIGINS)[number];

/** A member's role in an organization (spec §4.2). */
export const MEMBERSHIP_ROLES = ['admin', 'creator', 'member'] as const;
export type MembershipRole = (typeof MEMBERSHIP_ROLES)[number];

/** The caller's standing in an organization: its owner, a member with a role, or an outsider (null). */
export type Standing = 'owner' | MembershipRole | null;
