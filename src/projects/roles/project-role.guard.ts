import { applyDecorators, createParamDecorator, Injectable, SetMetadata, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiParam } from '@nestjs/swagger';
import type { Request } from 'express';
import { ObjectNotFound, PermissionDenied, ValidationFailed } from '../../common/errors.js';
import { ProjectsRepository } from '../projects.repository.js';
import { may, type ProjectAccess, type ProjectAction } from './roles.js';
import { isUuid } from '../../common/validation.js';

const ACTION = 'fieldbase:project-action';

declare module 'express' {
  interface Request {
    projectAccess?: ProjectAccess;
  }
}

/**
 * For routes with a project id in the path (`:projectId`): 400 for a malformed id, 404 when no such
 * project exists, 403 when the caller's role (from the one role query) does not allow `action`.
 * The computed {role, origin} is attached to the request for the handler.
 */
export const ProjectPermission = (action: ProjectAction) => applyDecorators(SetMetadata(ACTION, action), UseGuards(ProjectRoleGuard), ProjectIdInPath());

/** The `:projectId` path parameter in the OpenAPI document (ProjectPermission includes it). */
export const ProjectIdInPath = () => ApiParam({ name: 'projectId', description: 'Project id (UUID)', schema: { type: 'string', format: 'uuid' } });

/** The access the guard computed: `{projectId, role, origin}`. */
export const CurrentProjectAccess = createParamDecorator((_: unknown, context: ExecutionContext): ProjectAccess => {
  return context.switchToHttp().getRequest<Request>().projectAccess!;
});

@Injectable()
export class ProjectRoleGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly projects: ProjectsRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const action = this.reflector.get<ProjectAction>(ACTION, context.getHandler());
    const access = await projectAccess(this.projects, req.actor!.id, String(req.params.projectId));
    if (!may(access.role, action)) throw new PermissionDenied();
    req.projectAccess = access;
    return true;
  }
}

/** The caller's role on one project (400 malformed id, 404 no such project). */
export async function projectAccess(projects: ProjectsRepository, userId: string, rawId: string): Promise<ProjectAccess> {
  const projectId = projectIdFromPath(rawId);
  const row = await projects.findRole(userId, projectId);
  if (!row) throw new ObjectNotFound('No such project');
  return { projectId, role: row.role, origin: row.origin };
}

/** A project id from the path, lower-cased; 400 when it is not a UUID (spec §1). */
export function projectIdFromPath(rawId: string): string {
  if (!isUuid(rawId)) throw ValidationFailed.field('projectId', 'Must be a UUID');
  return rawId.toLowerCase();
}
