/** What `GET /api/1/account` answers, in the shape Act-On documents. */
export interface EmulatorAccountInfo {
  account_id: number;
  cname: string;
  user_name: string;
  user_email: string;
  account_name: string;
  user_type: string;
  isAdmin: boolean;
  login: string;
  time_zone: string;
}

/** First account id handed out; real Act-On ids are five digits and up. */
const FIRST_ACCOUNT_ID = 10001;

function titleCase(words: string[]): string {
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}

/**
 * Builds believable account info from a username so a test only has to name its users. Agency child logins
 * (`<account number>_<manager email>`) keep the e-mail part for the person's name.
 */
export function deriveAccountInfo(
  username: string,
  overrides: Partial<EmulatorAccountInfo> | undefined,
  takenIds: ReadonlySet<number>,
): EmulatorAccountInfo {
  const email = username.includes('@') ? username.replace(/^\d+_/, '') : `${username}@example.com`;
  const local = email.split('@')[0] ?? username;
  const words = local.split(/[^A-Za-z0-9]+/).filter((w) => w.length > 0);
  const userName = words.length > 0 ? titleCase(words) : 'Emulator User';
  const slug = words.join('').toLowerCase() || 'emulator';
  let accountId = FIRST_ACCOUNT_ID;
  while (takenIds.has(accountId)) accountId++;
  return {
    account_id: accountId,
    cname: `${slug}.actonsoftware.com`,
    user_name: userName,
    user_email: email,
    account_name: `${userName}'s Account`,
    user_type: 'Marketing',
    isAdmin: true,
    login: username,
    time_zone: 'US/Pacific',
    ...overrides,
  };
}
