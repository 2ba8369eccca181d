import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** The authenticated person a request acts for. */
export interface Actor {
  id: string;
  username: string;
  isStaff: boolean;
  tokenId: string;
}

const PUBLIC = 'fieldbase:public';
const STAFF_ONLY = 'fieldbase:staff-only';

/** An endpoint anyone may call; a usable token still identifies the caller, an unusable one is ignored (spec §1). */
export const Public = () => SetMetadata(PUBLIC, true);
/** An endpoint for staff persons only (403 for others). */
export const StaffOnly = () => SetMetadata(STAFF_ONLY, true);
export const AUTH_METADATA = { PUBLIC, STAFF_ONLY };

/** The caller: `Actor` on authenticated routes, `Actor | null` on public ones. */
export const CurrentActor = createParamDecorator((_: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<Request>().actor ?? null);

/** The operator at the command line (the CLI and the first-start bootstrap): allowed everything an account rule allows. */
export const OPERATOR: Actor = Object.freeze({ id: '00000000-0000-0000-0000-000000000000', username: '(operator)', isStaff: true, tokenId: '' });
