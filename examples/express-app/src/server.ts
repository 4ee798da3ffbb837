import { EMULATOR_DEFAULTS, startActOnEmulator, type ActOnEmulator } from '@acton/emulator';
import { ActOnTokenManager, MemoryTokenStore } from '@acton/oauth-client';
import express from 'express';
import session from 'express-session';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import passport from 'passport';
import { ActOnStrategy, type ActOnUser } from 'passport-acton';

/** A running example: its URL, and `close()` for tests. */
export interface RunningExpressExample {
  readonly url: string;
  readonly emulator: ActOnEmulator | undefined;
  readonly tokens: ActOnTokenManager;
  close(): Promise<void>;
}

/** Who is signed in, as the session keeps it: no token. */
interface SessionUser {
  readonly id: string;
  readonly displayName: string;
}

/**
 * The smallest Express app that signs in with Act-On. Configuration comes from `ACTON_*` variables; without
 * `ACTON_BASE_URL` it runs on an embedded Act-On emulator so it works on a fresh machine.
 */
export async function startExpressExample(port = 3001, emulatorPort = 4011): Promise<RunningExpressExample> {
  let emulator: ActOnEmulator | undefined;
  if (process.env.ACTON_BASE_URL === undefined && process.env.ACTON_REGION === undefined) {
    emulator = await startActOnEmulator({ port: emulatorPort });
    process.env.ACTON_BASE_URL = emulator.url;
    process.env.ACTON_CLIENT_ID = EMULATOR_DEFAULTS.clientId;
    process.env.ACTON_CLIENT_SECRET = EMULATOR_DEFAULTS.clientSecret;
  }
  process.env.ACTON_CALLBACK_URL ??= '/auth/acton/callback';

  // Every option from ACTON_* variables; the user is { profile, tokens }.
  passport.use(new ActOnStrategy());
  passport.serializeUser<SessionUser>((user, done) => {
    const { profile } = user as ActOnUser;
    done(null, { id: profile.id, displayName: profile.displayName });
  });
  passport.deserializeUser<SessionUser>((user, done) => done(null, user));

  // Each signed-in person's pair, rotated safely from now on, keyed by their Act-On account id.
  const tokens = new ActOnTokenManager({
    clientId: process.env.ACTON_CLIENT_ID as string,
    clientSecret: process.env.ACTON_CLIENT_SECRET as string,
    baseUrl: process.env.ACTON_BASE_URL,
    ...(emulator === undefined ? {} : { store: new MemoryTokenStore() }),
  });

  const app = express();
  app.use(
    session({
      secret: process.env.SESSION_SECRET ?? randomBytes(32).toString('base64url'),
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax' },
    }),
  );
  app.use(passport.session());

  app.get('/', (req, res) => {
    const user = req.user as SessionUser | undefined;
    res
      .type('html')
      .send(
        user
          ? `<p>Signed in as ${escapeHtml(user.displayName)}. <a href="/account">Call Act-On</a> · <a href="/logout">Sign out</a></p>`
          : '<p><a id="sign-in" href="/auth/acton">Sign in with Act-On</a></p>',
      );
  });
  app.get('/auth/acton', passport.authenticate('acton'));
  app.get(
    '/auth/acton/callback',
    passport.authenticate('acton', { failureRedirect: '/', failureMessage: true }),
    (req, res, next) => {
      // The session got the summary from serializeUser; the tokens go to the manager, not the session.
      const { profile } = req.user as unknown as ActOnUser;
      tokens.saveTokens(profile.id, profile.tokens).then(() => res.redirect('/'), next);
    },
  );
  app.get('/account', (req, res, next) => {
    const user = req.user as SessionUser | undefined;
    if (user === undefined) {
      res.redirect('/');
      return;
    }
    tokens.fetch('/api/1/account', {}, { account: user.id }).then(
      async (response) =>
        res
          .status(response.status)
          .type('json')
          .send(await response.text()),
      next,
    );
  });
  app.get('/logout', (req, res, next) => req.logout((error) => (error ? next(error) : res.redirect('/'))));

  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(port, '127.0.0.1', () => resolve(listening));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    emulator,
    tokens,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await tokens.close();
      await emulator?.close();
    },
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
