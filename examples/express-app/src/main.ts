import { EMULATOR_DEFAULTS } from '@acton/emulator';
import { startExpressExample } from './server';

startExpressExample(Number(process.env.PORT ?? 3001)).then(
  (running) => {
    if (running.emulator !== undefined) {
      process.stdout.write(
        `Embedded Act-On emulator at ${running.emulator.url}; sign in with ` +
          `${EMULATOR_DEFAULTS.username} / ${EMULATOR_DEFAULTS.password}\n`,
      );
    }
    process.stdout.write(`Express example: open ${running.url}/ (Ctrl+C to stop)\n`);
    const stop = (): void => {
      running.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (error: unknown) => {
    process.stderr.write(
      `The example could not start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
