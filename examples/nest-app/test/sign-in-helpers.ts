import request from 'supertest';

/** An HTTP client with a cookie jar, like one browser. */
export type Agent = ReturnType<typeof request.agent>;

/** The hidden fields of the emulator's login form (client_id, redirect_uri, state, …). */
function hiddenFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[match[1] as string] = (match[2] as string).replace(
      /&#(\d+);|&amp;|&quot;|&lt;|&gt;/g,
      (entity, code) =>
        code !== undefined
          ? String.fromCharCode(Number(code))
          : (({ '&amp;': '&', '&quot;': '"', '&lt;': '<', '&gt;': '>' } as Record<string, string>)[entity] ??
            entity),
    );
  }
  return fields;
}

/**
 * Walks the code grant the way a browser does, over real HTTP: the app's `/auth/acton` redirect, the emulator's
 * login form, its redirect back. Returns the callback URL (path and query) for the app, not yet followed.
 */
export async function authorizeAtEmulator(
  agent: Agent,
  login: { username: string; password: string; action?: 'authorize' | 'deny' },
): Promise<string> {
  const start = await agent.get('/auth/acton').redirects(0);
  if (start.status !== 302) throw new Error(`/auth/acton answered ${start.status}`);
  const authorizeUrl = new URL(start.headers.location as string);
  const form = await fetch(authorizeUrl);
  const fields = hiddenFields(await form.text());
  const answer = await fetch(new URL('/authorize', authorizeUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      ...fields,
      username: login.username,
      password: login.password,
      action: login.action ?? 'authorize',
    }),
    redirect: 'manual',
  });
  if (answer.status !== 302) throw new Error(`the emulator's login form answered ${answer.status}`);
  const callback = new URL(answer.headers.get('location') as string);
  return `${callback.pathname}${callback.search}`;
}
