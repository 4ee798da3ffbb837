#!/usr/bin/env node
import { CliUsageError, parseCliArgs, USAGE, type CliCommand } from './cli-args';
import { startActOnEmulator } from './emulator';

function banner(
  url: string,
  clientId: string,
  clientSecret: string,
  users: ReadonlyArray<{ username: string; password: string }>,
): string {
  // A local dev tool: printing the credentials it was handed is the point, so people can paste them.
  const lines = [
    `Act-On emulator listening on ${url}`,
    `  token endpoint:  ${url}/token`,
    `  authorize page:  ${url}/authorize`,
    `  client_id:       ${clientId}`,
    `  client_secret:   ${clientSecret}`,
    ...users.map((u) => `  user:            ${u.username} / ${u.password}`),
    `Press Ctrl+C to stop.`,
  ];
  return `${lines.join('\n')}\n`;
}

async function main(argv: readonly string[]): Promise<void> {
  let command: CliCommand;
  try {
    command = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    process.stderr.write(`acton-emulator: ${error.message}\nRun acton-emulator --help for usage.\n`);
    process.exitCode = 2;
    return;
  }
  if (command.kind === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const emulator = await startActOnEmulator({
    ...command.options,
    port: command.port,
    host: command.host,
    ...(command.verbose ? { logger: (line: string) => process.stdout.write(`${line}\n`) } : {}),
  });
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second Ctrl+C means "now".
      process.exit(130);
    }
    stopping = true;
    process.stdout.write(`Received ${signal}, stopping.\n`);
    emulator.close().then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => {
        process.stderr.write(`acton-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      },
    );
  };
  // Handlers go in before the banner: whoever reads the banner may signal at once.
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const { clientId, clientSecret, users } = emulator.options;
  process.stdout.write(banner(emulator.url, clientId, clientSecret, users));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // Typically the port is taken (EADDRINUSE) or the host cannot be bound.
  process.stderr.write(`acton-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
