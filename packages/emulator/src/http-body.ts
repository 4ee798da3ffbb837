import type { IncomingMessage, ServerResponse } from 'node:http';

/** Largest request body the emulator reads: 64 KiB, far above any real token request. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Outcome of {@link readBody}. */
export type BodyResult = { kind: 'ok'; body: Buffer } | { kind: 'too-large' } | { kind: 'aborted' };

/**
 * Reads a request body up to `limit` bytes. A declared Content-Length over the limit is refused before reading
 * a byte; a longer stream is cut off as soon as it crosses the limit, so nothing large is ever buffered.
 */
export function readBody(req: IncomingMessage, limit: number = MAX_BODY_BYTES): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve({ kind: 'too-large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyResult): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        req.pause();
        settle({ kind: 'too-large' });
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = (): void => settle({ kind: 'ok', body: Buffer.concat(chunks, size) });
    const onAbort = (): void => settle({ kind: 'aborted' });
    const onClose = (): void => {
      if (!req.complete) settle({ kind: 'aborted' });
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onClose);
  });
}

/**
 * Makes the response the connection's last: Node ends the socket once the response is flushed, so a client
 * still streaming a refused body gets its answer first and then loses the connection.
 */
export function closeAfterResponse(res: ServerResponse): void {
  res.setHeader('Connection', 'close');
}
