import type { ProjectRole, RoleOrigin } from '../../common/roles.js';

export { PROJECT_ROLES, ROLE_ORIGINS, type ProjectRole, type RoleOrigin } from '../../common/roles.js';

/** The caller's role on one project, as the role SQL computed it; null fields: no role. */
export interface ProjectAccess {
  projectId: string;
  role: ProjectRole | null;
  origin: RoleOrigin | null;
}

/** What each role may do (spec §6.4): the one permission table. */
export const PERMISSIONS = {
  read: ['admin', 'manager', 'editor', 'reporter', 'reader'],
  uploadThumbnail: ['admin', 'manager', 'editor', 'reporter'],
  uploadFiles: ['admin', 'manager', 'editor', 'reporter'],
  modifyRestrictedFiles: ['admin', 'manager'],
  deleteFiles: ['admin', 'manager', 'editor'],
  update: ['admin', 'manager'],
  manageCollaborators: ['admin', 'manager'],
  delete: ['admin'],
  /** Jobs (spec §10.2): every role lists and reads them and may ask for a package. */
  triggerPackage: ['admin', 'manager', 'editor', 'reporter', 'reader'],
  triggerJobs: ['admin', 'manager', 'editor', 'reporter'],
  /** Deltas (spec §11.2): push and list them (never on template projects). */
  deltas: ['admin', 'manager', 'editor', 'reporter'],
  /** Deltas that patch or delete a feature; a reporter's are stored `unpermitted`. */
  changeFeatures: ['admin', 'manager', 'editor'],
} as const satisfies Record<string, readonly ProjectRole[]>;
export type ProjectAction = keyof typeof PERMISSIONS;

export function may(role: ProjectRole | null, action: ProjectAction): boolean {
  return role !== null && (PERMISSIONS[action] as readonly ProjectRole[]).includes(role);
}
