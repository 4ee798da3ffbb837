import { Module, type DynamicModule } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { TerminusModule } from '@nestjs/terminus';
import { ActOnAuthModule } from '@acton/nest-auth';
import { ActOnOAuthStrategy } from './acton-oauth.strategy';
import { AuthController } from './auth.controller';
import type { ExampleConfig } from './example-config';
import { EXAMPLE_CONFIG } from './example-config.token';
import { HealthController } from './health.controller';
import { HomeController } from './home.controller';
import { MeController } from './me.controller';
import { ServiceController } from './service.controller';
import { SessionSerializer } from './session-serializer';

@Module({})
export class AppModule {
  static register(config: ExampleConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PassportModule.register({ session: true }),
        TerminusModule,
        ActOnAuthModule.forRoot({
          clientId: config.clientId,
          clientSecret: config.clientSecret,
          baseUrl: config.baseUrl,
          store: config.tokenStore,
          ...(config.serviceAccount === undefined
            ? {}
            : {
                username: config.serviceAccount.username,
                password: config.serviceAccount.password,
                warmUp: true,
              }),
        }),
      ],
      controllers: [HomeController, AuthController, MeController, ServiceController, HealthController],
      providers: [{ provide: EXAMPLE_CONFIG, useValue: config }, ActOnOAuthStrategy, SessionSerializer],
    };
  }
}
