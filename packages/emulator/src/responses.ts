import type { ServerResponse } from 'node:http';

/** Extra headers of one response. */
export type Headers = Record<string, string>;

// Token and account answers carry credentials or personal data; no cache may keep them.
const NO_STORE: Headers = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/** Sends `body` as JSON. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Headers = {}): void {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, {
    ...NO_STORE,
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(payload.length),
  });
  res.end(payload);
}

/** An OAuth error object of the token endpoint, e.g. `{"error":"invalid_grant","error_description":"…"}`. */
export function sendOAuthError(
  res: ServerResponse,
  status: number,
  error: string,
  description: string,
  headers: Headers = {},
): void {
  sendJson(res, status, { error, error_description: description }, headers);
}

const STATUS_TEXT: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  429: 'Too Many Requests',
};

/** An error of Act-On's REST gateway: `{"httpCode":"401","httpMessage":"Unauthorized","moreInformation":""}`. */
export function sendRestError(
  res: ServerResponse,
  status: number,
  moreInformation: string,
  headers: Headers = {},
): void {
  sendJson(
    res,
    status,
    { httpCode: String(status), httpMessage: STATUS_TEXT[status] ?? 'Error', moreInformation },
    headers,
  );
}

/** Sends an HTML page that must not be framed or cached. */
export function sendHtml(res: ServerResponse, status: number, html: string, headers: Headers = {}): void {
  const payload = Buffer.from(html, 'utf8');
  res.writeHead(status, {
    ...NO_STORE,
    // No form-action directive: Chrome applies it to the redirect after the POST, which leaves this origin.
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    ...headers,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(payload.length),
  });
  res.end(payload);
}

/** Sends a 302 to `location`. */
export function sendRedirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { ...NO_STORE, Location: location, 'Content-Length': '0' });
  res.end();
}

/** Sends a configured body: strings as text, anything else as JSON. */
export function sendConfigured(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Headers = {},
): void {
  if (typeof body !== 'string') {
    sendJson(res, status, body, headers);
    return;
  }
  const payload = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    ...NO_STORE,
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(payload.length),
  });
  res.end(payload);
}
