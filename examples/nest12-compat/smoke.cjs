'use strict';
/*
 * Runs the BUILT @acton/nest-auth on NestJS 12, which is ESM-only: plain `require` loads it on Node >= 20.19.
 * Boots ActOnAuthModule.forRoot() in an application context against an emulator, calls Act-On across a token
 * expiry, closes, and prints one JSON line for the parent test. Usage: node smoke.cjs
 */
const Module = require('node:module');
const path = require('node:path');

// @acton/nest-auth's dist sits outside this folder and would find the repository's NestJS 11: send every CommonJS
// request for @nestjs/* here. NestJS 12's own ESM imports resolve from this folder by themselves.
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, isMain, options) {
  if (/^@nestjs\/(common|core)(\/|$)/.test(request)) {
    return resolveFilename.call(this, request, parent, isMain, { paths: [__dirname] });
  }
  return resolveFilename.call(this, request, parent, isMain, options);
};

require('reflect-metadata');
const { Module: NestModule } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { startActOnEmulator } = require('@acton/emulator');
const { ActOnAuthModule, ActOnTokenService } = require('@acton/nest-auth');

const HOUR_MS = 3_600_000;

function versionOf(pkg) {
  return require(path.join(path.dirname(require.resolve(pkg, { paths: [__dirname] })), 'package.json'))
    .version;
}

async function main() {
  const emulator = await startActOnEmulator();
  const user = emulator.options.users[0];
  class AppModule {}
  NestModule({
    imports: [
      ActOnAuthModule.forRoot({
        clientId: emulator.options.clientId,
        clientSecret: emulator.options.clientSecret,
        baseUrl: emulator.url,
        username: user.username,
        password: user.password,
        store: 'memory',
        now: () => emulator.clock.now(),
        env: false,
      }),
    ],
  })(AppModule);
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  const acton = app.get(ActOnTokenService);
  const statuses = [];
  for (let expiry = 0; expiry < 3; expiry++) {
    const response = await acton.fetch('/api/1/account');
    statuses.push(response.status);
    await response.body?.cancel();
    emulator.clock.advance(HOUR_MS);
  }
  await app.close();
  await emulator.close();
  const stats = emulator.stats();
  const nest11Loaded = Object.keys(require.cache).some((file) =>
    file.startsWith(path.resolve(__dirname, '../../node_modules/@nestjs/')),
  );
  process.stdout.write(
    `${JSON.stringify({
      nestCommon: versionOf('@nestjs/common'),
      nestCore: versionOf('@nestjs/core'),
      nest11Loaded,
      statuses,
      grants: stats.grants,
      reuseAttempts: stats.reuseAttempts,
    })}\n`,
  );
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
