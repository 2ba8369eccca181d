import { Body, Controller, Get, Headers, HttpCode, Ip, Post } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { GetUserQuery } from '../accounts/queries/get-user.query.js';
import { ValidationFailed } from '../common/errors.js';
import { ApiErrors, ApiOk } from '../common/openapi.js';
import { CurrentActor, Public, type Actor } from './actor.js';
import { LoginCommand } from './commands/login.command.js';
import { LogoutCommand } from './commands/logout.command.js';
import { LoginBody, LoginResponse, LogoutResponse, PersonResponse } from './dto/auth.dto.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({ operationId: 'login', summary: 'Log in with a username or e-mail and a password; answers a token' })
  @ApiOk(LoginResponse)
  @ApiErrors(400, 401)
  login(@Body() body: LoginBody, @Headers('user-agent') userAgent: string | undefined, @Ip() ip: string) {
    const identifier = body.username ?? body.email;
    if (!identifier) throw ValidationFailed.field('username', 'This field is required');
    return this.commands.execute(new LoginCommand(identifier, body.password, userAgent ?? '', ip));
  }

  @Post('token')
  @Public()
  @HttpCode(200)
  @ApiOperation({ operationId: 'obtainToken', summary: 'Same as POST /auth/login/' })
  @ApiOk(LoginResponse)
  @ApiErrors(400, 401)
  token(@Body() body: LoginBody, @Headers('user-agent') userAgent: string | undefined, @Ip() ip: string) {
    return this.login(body, userAgent, ip);
  }

  @Post('logout')
  @Public()
  @HttpCode(200)
  @ApiOperation({ operationId: 'logout', summary: "Expire all of the caller's tokens" })
  @ApiOk(LogoutResponse)
  logout(@CurrentActor() actor: Actor | null) {
    return this.commands.execute(new LogoutCommand(actor));
  }

  @Get('logout')
  @Public()
  @ApiOperation({ operationId: 'logoutWithGet', summary: 'Same as POST /auth/logout/' })
  @ApiOk(LogoutResponse)
  logoutWithGet(@CurrentActor() actor: Actor | null) {
    return this.logout(actor);
  }

  @Get('user')
  @ApiOperation({ operationId: 'getCurrentUser', summary: 'The caller' })
  @ApiOk(PersonResponse)
  @ApiErrors(401)
  user(@CurrentActor() actor: Actor) {
    return this.queries.execute(new GetUserQuery(actor, actor.username));
  }
}
