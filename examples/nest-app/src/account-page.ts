import { escapeHtml, page } from './pages';

/** Shows an answer of Act-On's account endpoint (account data holds no secret). */
export async function accountPage(title: string, response: Response): Promise<string> {
  const text = await response.text();
  let shown = text;
  try {
    shown = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // Not JSON: show it as it came.
  }
  const status = response.ok ? '' : `<p class="error">Act-On answered HTTP ${response.status}.</p>`;
  return page(title, `${status}<pre id="account">${escapeHtml(shown)}</pre>`);
}
