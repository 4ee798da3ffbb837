import { Controller, Get, Header, Req, UseFilters, UseGuards } from '@nestjs/common';
import { ActOnTokenService } from '@acton/nest-auth';
import type { Request } from 'express';
import { accountPage } from './account-page';
import { escapeHtml, page } from './pages';
import { NotSignedInFilter, SignedInGuard } from './signed-in.guard';
import type { SignedInUser } from './signed-in-user';

@Controller('me')
@UseGuards(SignedInGuard)
@UseFilters(NotSignedInFilter)
export class MeController {
  constructor(private readonly acton: ActOnTokenService) {}

  /** The profile and when the access token expires; never a token. */
  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  async me(@Req() request: Request): Promise<string> {
    const user = request.user as SignedInUser;
    const tokens = await this.acton.getTokenSet(user.accountId);
    const rows: Array<[string, string | undefined]> = [
      ['Name', user.displayName],
      ['E-mail', user.email],
      ['Login', user.login],
      ['Account', user.accountName],
      ['Account id', user.accountId],
      [
        'Access token expires',
        tokens === undefined
          ? 'no token pair held (sign in again)'
          : `${new Date(tokens.expiresAt).toISOString()} (rotated automatically before then)`,
      ],
    ];
    const table = rows
      .map(([label, value]) => `<tr><th>${escapeHtml(label)}</th><td>${escapeHtml(value ?? '–')}</td></tr>`)
      .join('\n');
    return page(
      `Signed in as ${user.displayName}`,
      `<table id="profile">${table}</table>
<p><a class="button" href="/me/account">Call Act-On's account API as me</a> <a href="/logout">Sign out</a></p>`,
    );
  }

  /** Act-On's `GET /api/1/account` with the signed-in person's own (rotated) tokens. */
  @Get('account')
  @Header('content-type', 'text/html; charset=utf-8')
  async account(@Req() request: Request): Promise<string> {
    const user = request.user as SignedInUser;
    const response = await this.acton.fetch('/api/1/account', {}, { account: user.accountId });
    return accountPage(`Your Act-On account`, response);
  }
}
