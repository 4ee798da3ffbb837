/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** A whole page around `body` (trusted HTML: every dynamic value in it must already be escaped). */
export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Act-On example</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 44rem; margin: 3rem auto; padding: 0 1rem; color: #222; }
  a.button, button { display: inline-block; padding: .6rem 1.2rem; background: #e4572e; color: #fff; border: 0;
    border-radius: .3rem; text-decoration: none; font-size: 1rem; cursor: pointer; }
  pre { background: #f4f4f4; padding: 1rem; overflow-x: auto; }
  nav a { margin-right: 1rem; }
  .error { border-left: .3rem solid #c0392b; padding-left: 1rem; }
</style>
</head>
<body>
<nav><a href="/">Home</a><a href="/me">Me</a><a href="/me/account">My Act-On account</a><a href="/service/account">Service account</a><a href="/health">Health</a></nav>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}
