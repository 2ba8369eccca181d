import { applyDecorators, createParamDecorator, Injectable, SetMetadata, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DataSource, type EntityManager } from 'typeorm';
import { AccountType } from '../accounts/account.entity.js';
import { ObjectNotFound, PermissionDenied } from '../common/errors.js';

/** The caller's standing in an organization: its owner, a member with a role, or an outsider (null). */
export type Standing = 'owner' | 'admin' | 'creator' | 'member' | null;

export interface OrganizationAccess {
  id: string;
  username: string;
  ownerId: string;
  standing: Standing;
}

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
export async function organizationAccess(db: DataSource | EntityManager, userId: string, name: string): Promise<OrganizationAccess> {
  const [row] = await db.query(
    `SELECT o.id, o.username, o.organization_owner_id AS owner_id,
            CASE WHEN o.organization_owner_id = $2 THEN 'owner' ELSE m.role::text END AS standing
       FROM accounts o LEFT JOIN organization_members m ON m.organization_id = o.id AND m.member_id = $2
      WHERE lower(o.username) = lower($1) AND o.type = ${AccountType.Organization}`,
    [name, userId],
  );
  if (!row) throw new ObjectNotFound(`No organization named "${name}"`);
  return { id: row.id, username: row.username, ownerId: row.owner_id, standing: row.standing };
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
    private readonly db: DataSource,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const action = this.reflector.get<OrganizationAction>(ACTION, context.getHandler());
    const access = await organizationAccess(this.db, req.actor!.id, String(req.params.organization));
    if (!mayInOrganization(access.standing, action)) throw new PermissionDenied();
    req.organizationAccess = access;
    return true;
  }
}
