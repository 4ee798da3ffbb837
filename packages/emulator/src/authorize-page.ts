/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
  body { font-family: system-ui, sans-serif; background: #f4f6f8; margin: 0; }
  main { max-width: 26rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 8px;
         box-shadow: 0 1px 4px rgba(0,0,0,.15); }
  h1 { font-size: 1.3rem; margin-top: 0; }
  label { display: block; margin: 1rem 0 .25rem; }
  input[type=text], input[type=password] { width: 100%; box-sizing: border-box; padding: .5rem; }
  .buttons { margin-top: 1.5rem; display: flex; gap: .75rem; }
  .error { color: #b00020; background: #fdecee; padding: .5rem .75rem; border-radius: 4px; }
  .hint, .app { color: #555; font-size: .9rem; }
  code { word-break: break-all; }`;

function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

/** What the login page shows and carries through the POST. */
export interface LoginPageModel {
  clientId: string;
  redirectUri: string;
  /** Absent means "not given", which differs from an empty state on the way back. */
  state: string | undefined;
  scope: string;
  /** Prefilled after a failed attempt; the password never is. */
  username?: string;
  error?: string;
  /** Shown when the emulator runs with its documented demo user. */
  demoHint?: { username: string; password: string };
}

/** The login and consent page of `GET /authorize`. */
export function renderLoginPage(model: LoginPageModel): string {
  const hidden: Array<[string, string]> = [
    ['client_id', model.clientId],
    ['redirect_uri', model.redirectUri],
    ['scope', model.scope],
    ['response_type', 'code'],
  ];
  if (model.state !== undefined) hidden.push(['state', model.state]);
  const hiddenInputs = hidden
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`)
    .join('\n');
  const error =
    model.error === undefined ? '' : `<p class="error" role="alert">${escapeHtml(model.error)}</p>`;
  const hint =
    model.demoHint === undefined
      ? ''
      : `<p class="hint">Demo user: <code>${escapeHtml(model.demoHint.username)}</code> / <code>${escapeHtml(
          model.demoHint.password,
        )}</code></p>`;
  return layout(
    'Sign in to Act-On (emulator)',
    `<h1>Sign in to Act-On (emulator)</h1>
<p class="app">Application <code>${escapeHtml(model.clientId)}</code> asks for access (scope <code>${escapeHtml(
      model.scope,
    )}</code>) and will return to <code>${escapeHtml(model.redirectUri)}</code>.</p>
${error}
<form method="post" action="/authorize">
${hiddenInputs}
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" value="${escapeHtml(model.username ?? '')}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password">
<div class="buttons">
<button type="submit" id="authorize" name="action" value="authorize">Authorize</button>
<button type="submit" id="deny" name="action" value="deny">Deny</button>
</div>
</form>
${hint}`,
  );
}

/** An error page for authorization requests that must not be redirected (unknown client, unregistered URI…). */
export function renderErrorPage(message: string): string {
  return layout(
    'Act-On (emulator): authorization error',
    `<h1>Act-On (emulator): authorization error</h1>
<p class="error" role="alert">${escapeHtml(message)}</p>`,
  );
}
