import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthController } from './auth.controller.js';
import { AuthGuard } from './auth.guard.js';
import { AuthTokens } from './auth-tokens.service.js';
import { AuthRepository } from './auth.repository.js';
import { LoginHandler } from './commands/login.command.js';
import { LogoutHandler } from './commands/logout.command.js';

@Module({
  controllers: [AuthController],
  providers: [AuthRepository, AuthTokens, LoginHandler, LogoutHandler, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [AuthTokens],
})
export class AuthModule {}
