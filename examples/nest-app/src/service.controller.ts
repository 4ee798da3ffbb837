import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ActOnTokenService } from '@acton/nest-auth';
import { accountPage } from './account-page';
import type { ExampleConfig } from './example-config';
import { EXAMPLE_CONFIG } from './example-config.token';
import { page } from './pages';

/** Server-side work with the service account, logged in by password grant and refreshed forever. */
@Controller('service')
export class ServiceController {
  constructor(
    private readonly acton: ActOnTokenService,
    @Inject(EXAMPLE_CONFIG) private readonly config: ExampleConfig,
  ) {}

  @Get('account')
  @Header('content-type', 'text/html; charset=utf-8')
  async account(): Promise<string> {
    if (this.config.serviceAccount === undefined) {
      return page(
        'No service account',
        '<p>Set ACTON_USERNAME and ACTON_PASSWORD to use a service account.</p>',
      );
    }
    return accountPage('The service account', await this.acton.fetch('/api/1/account'));
  }
}
