import { applyDecorators, createParamDecorator, Injectable, SetMetadata, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ObjectNotFound, PermissionDenied } from '../common/errors.js';
import type { Standing } from '../common/roles.js';
import { OrganizationsRepository, type OrganizationAccess } from './organizations.repository.js';

export type { OrganizationAccess, Standing };

/** read: the owner and members (spec §4.2); manage: the owner and admins. Staff get nothing implicit. */
const ALLOWED = {
  read: ['owner', 'admin', 'creator', 'member'],
  manage: ['owner', 'admin'],
} as const satisfies Record<string, readonly Standing[]>;
export type OrganizationAction = keyof typeof ALLOWED;

export function mayInOrganization(standing: Standing, action: OrganizationAction): boolean {
  return standing !== null && (ALLOWED[action] as readonly Standing[]).includes(standing);
}

/** The organization named `name` (case-insensitive) and the caller's standing in it; 404 when there is none. */
export async function organizationAccess(organizations: OrganizationsRepository, userId: string, name: string): Promise<OrganizationAccess> {
  const access = await organizations.access(name, userId);
  if (!access) throw new ObjectNotFound(`No organization named "${name}"`);
  return access;
}

const ACTION = 'fieldbase:organization-action';

declare module 'express' {
  interface Request {
    organizationAccess?: OrganizationAccess;
  }
}

/** For routes with `:organization` in the path: 404 for no such organization, 403 when the caller's standing does not allow `action`. */
export const OrganizationPermission = (action: OrganizationAction) => applyDecorators(SetMetadata(ACTION, action), UseGuards(OrganizationGuard));

export const CurrentOrganization = createParamDecorator((_: unknown, context: ExecutionContext): OrganizationAccess => {
  return context.switchToHttp().getRequest<Request>().organizationAccess!;
});

@Injectable()
export class OrganizationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly organizations: OrganizationsRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const action = this.reflector.get<OrganizationAction>(ACTION, context.getHandler());
    const access = await organizationAccess(this.organizations, req.actor!.id, String(req.params.organization));
    if (!mayInOrganization(access.standing, action)) throw new PermissionDenied();
    req.organizationAccess = access;
    return true;
  }
}
