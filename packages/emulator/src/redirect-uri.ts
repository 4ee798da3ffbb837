/** True for the hosts the default redirect policy accepts: 127.0.0.0/8, localhost and [::1]. */
export function isLoopbackHostname(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Whether `uri` may receive codes. With a registered list only exact matches count, as at Act-On; without one,
 * any http(s) loopback URL does, which is what local development needs and cannot leak a code off the machine.
 */
export function isAllowedRedirectUri(uri: string, registered: readonly string[] | undefined): boolean {
  if (registered !== undefined) return registered.includes(uri);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
  if (url.username !== '' || url.password !== '' || uri.includes('#')) return false;
  return isLoopbackHostname(url.hostname);
}

/**
 * Appends query parameters to a redirect URI without re-serialising it, so its own query arrives byte for byte
 * as registered.
 */
export function appendQuery(uri: string, params: ReadonlyArray<readonly [string, string]>): string {
  const query = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  if (query === '') return uri;
  if (!uri.includes('?')) return `${uri}?${query}`;
  return uri.endsWith('?') || uri.endsWith('&') ? `${uri}${query}` : `${uri}&${query}`;
}
