import { Body, Controller, Get, Headers, HttpCode, Ip } from '@nestjs/common';
import { Post } from '../common/body.interceptor.js';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ValidationFailed } from '../common/errors.js';
import { ApiErrors, ApiOk } from '../common/openapi.js';
import { CurrentActor, Public, type Actor } from '../common/actor.js';
import { LoginCommand } from './commands/login.command.js';
import { LogoutCommand } from './commands/logout.command.js';
import { LoginBody, LoginResponse, LogoutResponse } from './dto/auth.dto.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly commands: CommandBus) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'login',
    summary: 'Log in with a username or e-mail and a password; answers a token',
    description:
      'Body: `username` (a username or an e-mail address, case-insensitive; `email` is accepted instead) and `password`. ' +
      'The token expires AUTH_TOKEN_EXPIRATION_HOURS after it was issued; the expiry does not slide. ' +
      'The client type is read from the User-Agent (`qfield|…`, `sdk|…`, `cli|…`, `…QGIS/…`, `Mozilla/…`, else unknown); for qfield, qfieldsync and unknown clients ' +
      "a new login expires the user's other live tokens of the same client type. Organizations, teams and inactive persons cannot log in. " +
      'Failed logins are throttled per (account, client IP): the LOGIN_MAX_FAILURES-th failure starts a lock of LOGIN_LOCKOUT_MINUTES during which every attempt, ' +
      'even with the right password, answers `too_many_failed_login_attempts`.',
  })
  @ApiOk(LoginResponse)
  @ApiErrors(400, [401, 'authentication_failed', 'too_many_failed_login_attempts'])
  login(@Body() body: LoginBody, @Headers('user-agent') userAgent: string | undefined, @Ip() ip: string) {
    const identifier = body.username ?? body.email;
    if (!identifier) throw ValidationFailed.field('username', 'This field is required');
    return this.commands.execute(new LoginCommand(identifier, body.password, userAgent ?? '', ip));
  }

  @Post('token')
  @Public()
  @HttpCode(200)
  @ApiOperation({ operationId: 'obtainToken', summary: 'Same as POST /auth/login/', description: 'The same endpoint as `POST /api/v1/auth/login/`.' })
  @ApiOk(LoginResponse)
  @ApiErrors(400, [401, 'authentication_failed', 'too_many_failed_login_attempts'])
  token(@Body() body: LoginBody, @Headers('user-agent') userAgent: string | undefined, @Ip() ip: string) {
    return this.login(body, userAgent, ip);
  }

  @Post('logout')
  @Public()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'logout',
    summary: "Expire all of the caller's tokens",
    description: 'Expires **all** live tokens of the caller. Without a valid token it still answers 200. `GET` is accepted too.',
  })
  @ApiOk(LogoutResponse)
  logout(@CurrentActor() actor: Actor | null) {
    return this.commands.execute(new LogoutCommand(actor));
  }

  @Get('logout')
  @Public()
  @ApiOperation({ operationId: 'logoutWithGet', summary: 'Same as POST /auth/logout/', description: 'The same as `POST /api/v1/auth/logout/`.' })
  @ApiOk(LogoutResponse)
  logoutWithGet(@CurrentActor() actor: Actor | null) {
    return this.logout(actor);
  }
}
