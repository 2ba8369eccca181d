import { Account } from './accounts/account.entity.js';
import { AuthToken } from './auth/auth-token.entity.js';
import { LoginLockout } from './auth/login-lockout.entity.js';
import { ProjectCollaborator } from './collaborators/project-collaborator.entity.js';
import { Delta, RejectedDeltafile } from './deltas/delta.entity.js';
import { FileVersion } from './files/file-version.entity.js';
import { ProjectFile } from './files/project-file.entity.js';
import { Job, WorkerHeartbeat } from './jobs/job.entity.js';
import { PackageFile } from './packages/package-file.entity.js';
import { OrganizationMember } from './organizations/organization-member.entity.js';
import { TeamMember } from './organizations/team-member.entity.js';
import { OwnerProjectCount } from './projects/owner-project-count.entity.js';
import { Project } from './projects/project.entity.js';
import { PublicProjectCount } from './projects/public-project-count.entity.js';
import { StorageDeletion } from './storage/storage-deletion.entity.js';

/**
 * Every TypeORM entity, for the DataSource of the app, the migration CLI (ormconfig.ts) and the schema
 * test. A composition root like app.module.ts: it may import every module, and no module imports it, so
 * `database` stays below the modules whose tables it serves. Listed, not globbed: the same list works
 * from src under jest and from dist in production.
 */
export const entities = [
  Account,
  AuthToken,
  LoginLockout,
  OrganizationMember,
  TeamMember,
  StorageDeletion,
  Project,
  PublicProjectCount,
  OwnerProjectCount,
  ProjectCollaborator,
  ProjectFile,
  FileVersion,
  Job,
  WorkerHeartbeat,
  PackageFile,
  Delta,
  RejectedDeltafile,
];
