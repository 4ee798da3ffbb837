import 'reflect-metadata';
import type { LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import session from 'express-session';
import passport from 'passport';
import { AppModule } from './app.module';
import { loadExampleConfig, type ExampleConfig } from './example-config';

/** A running example app. */
export interface RunningExample {
  readonly url: string;
  readonly config: ExampleConfig;
  readonly app: NestExpressApplication;
  /** Stops the app, then the embedded emulator if there is one. */
  close(): Promise<void>;
}

/** Options of {@link startExampleApp}. */
export interface StartOptions {
  readonly port?: number;
  readonly host?: string;
  /** Port of the embedded emulator (0: any free port). */
  readonly emulatorPort?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Nest's logger (default: Nest's console logger at error, warn and log levels). */
  readonly logger?: LoggerService;
}

/** Builds the configuration (starting the embedded emulator when no Act-On is configured) and starts the app. */
export async function startExampleApp(options: StartOptions = {}): Promise<RunningExample> {
  const config = await loadExampleConfig(options.env ?? process.env, options.emulatorPort);
  try {
    const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
      logger: options.logger ?? ['error', 'warn', 'log'],
    });
    app.use(
      session({
        secret: config.sessionSecret,
        resave: false,
        saveUninitialized: false,
        cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto' },
      }),
    );
    app.use(passport.initialize());
    app.use(passport.session());
    await app.listen(options.port ?? 3000, options.host ?? '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    return {
      url,
      config,
      app,
      close: async () => {
        await app.close();
        await config.emulator?.close();
      },
    };
  } catch (error) {
    await config.emulator?.close();
    throw error;
  }
}
