import { startExampleApp } from './example-app';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const running = await startExampleApp({ port, host: process.env.HOST ?? '127.0.0.1' });
  for (const note of running.config.notes) process.stdout.write(`${note}\n`);
  process.stdout.write(`\nAct-On example app: open ${running.url}/ in your browser (Ctrl+C to stop)\n`);
  const stop = (): void => {
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `The example app could not start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
