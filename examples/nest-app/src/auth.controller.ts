import { Controller, Get, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import type { Request, Response } from 'express';
import { SignInFailureFilter } from './sign-in-failure.filter';
import { SignInGuard } from './sign-in.guard';

@Controller()
@UseFilters(SignInFailureFilter)
export class AuthController {
  /** The guard redirects to Act-On's authorization page; this handler never runs. */
  @Get('auth/acton')
  @UseGuards(SignInGuard)
  signIn(): void {}

  /** Act-On sends the person back here with a code; the guard exchanges it and signs them in. */
  @Get('auth/acton/callback')
  @UseGuards(SignInGuard)
  callback(@Res() response: Response): void {
    response.redirect(302, '/me');
  }

  /** Ends the session. The Act-On tokens stay with the token service, which may keep working for the account. */
  @Get('logout')
  logout(@Req() request: Request, @Res() response: Response): void {
    request.logout((error) => {
      if (error) {
        response.status(500).send('Could not sign out');
        return;
      }
      response.redirect(302, '/');
    });
  }
}
