import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ActOnTokenService } from '@acton/nest-auth';
import { ActOnStrategy, type ActOnProfile } from 'passport-acton';
import type { ExampleConfig } from './example-config';
import { EXAMPLE_CONFIG } from './example-config.token';
import type { SignedInUser } from './signed-in-user';

/** Sign-in with Act-On's authorization-code grant, through `@nestjs/passport`. */
@Injectable()
export class ActOnOAuthStrategy extends PassportStrategy(ActOnStrategy, 'acton') {
  constructor(
    @Inject(EXAMPLE_CONFIG) config: ExampleConfig,
    private readonly acton: ActOnTokenService,
  ) {
    super({
      clientID: config.clientId,
      clientSecret: config.clientSecret,
      callbackURL: config.callbackUrl,
      baseURL: config.baseUrl,
    });
  }

  /**
   * Hands the user's token pair to the token service under their Act-On account id, so it is rotated safely
   * from now on, and returns only who they are: the session never holds a token.
   */
  async validate(_accessToken: string, _refreshToken: string, profile: ActOnProfile): Promise<SignedInUser> {
    await this.acton.saveTokens(profile.id, profile.tokens);
    return {
      accountId: profile.id,
      displayName: profile.displayName,
      email: profile.emails?.[0]?.value,
      accountName: profile.accountName,
      login: profile.username,
    };
  }
}
