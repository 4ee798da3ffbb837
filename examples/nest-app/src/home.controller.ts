import { Controller, Get, Header, Req } from '@nestjs/common';
import type { Request } from 'express';
import { escapeHtml, page } from './pages';
import type { SignedInUser } from './signed-in-user';

@Controller()
export class HomeController {
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  home(@Req() request: Request): string {
    const user = request.user as SignedInUser | undefined;
    const body = user
      ? `<p>Signed in as <strong>${escapeHtml(user.displayName)}</strong>.</p>
<p><a class="button" href="/me">Your profile</a> <a href="/logout">Sign out</a></p>`
      : `<p>This example signs you in with Act-On (authorization-code grant through <code>passport-acton</code>) and
calls Act-On's API with your rotated tokens (<code>@acton/nest-auth</code>).</p>
<p><a class="button" id="sign-in" href="/auth/acton">Sign in with Act-On</a></p>`;
    return page('Act-On authentication for Node.js', body);
  }
}
