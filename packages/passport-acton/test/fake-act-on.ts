import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake Act-On received. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A scripted answer. */
export interface FakeAnswer {
  readonly status: number;
  readonly body: string;
  readonly contentType?: string;
}

/**
 * A stand-in for Act-On where a test needs an answer the emulator never gives (a malformed token response, an
 * HTML error page) or wants to see the exact request bytes. Real HTTP on loopback all the same.
 */
export interface FakeActOn {
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startFakeActOn(answer: (request: RecordedRequest) => FakeAnswer): Promise<FakeActOn> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const reply = answer(recorded);
      res.writeHead(reply.status, { 'Content-Type': reply.contentType ?? 'application/json' });
      res.end(reply.body);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A well-formed token answer. */
export function tokenAnswer(overrides: Record<string, unknown> = {}): FakeAnswer {
  return {
    status: 200,
    body: JSON.stringify({
      access_token: 'fake-access-token-1234567890',
      refresh_token: 'fake-refresh-token-1234567890',
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'PRODUCTION',
      ...overrides,
    }),
  };
}

/** A well-formed account answer. */
export const ACCOUNT_ANSWER: FakeAnswer = {
  status: 200,
  body: JSON.stringify({
    account_id: 4242,
    user_name: 'Fake User',
    user_email: 'fake@example.com',
    account_name: 'Fake',
  }),
};
