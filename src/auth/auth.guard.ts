import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ApiError, NotAuthenticated, PermissionDenied } from '../common/errors.js';
import { AUTH_METADATA } from '../common/actor.js';
import { AuthTokens } from './auth-tokens.service.js';

/** Global: every route needs a valid token unless marked @Public(); @StaffOnly() routes also need staff. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AuthTokens,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(AUTH_METADATA.PUBLIC, targets) ?? false;
    const header = req.get('authorization');
    req.actor = null;
    if (header) {
      try {
        req.actor = await this.tokens.authenticate(header);
      } catch (error) {
        if (!isPublic || !(error instanceof ApiError)) throw error;
      }
    }
    if (isPublic) return true;
    if (!req.actor) throw new NotAuthenticated();
    if (this.reflector.getAllAndOverride<boolean>(AUTH_METADATA.STAFF_ONLY, targets) && !req.actor.isStaff) {
      throw new PermissionDenied('Only staff may do this');
    }
    return true;
  }
}
