/**
 * The environment variables `ActOnAuthModule` reads, by option name. The same names as the core and
 * `passport-acton`, so one `.env` configures every package.
 */
export const ACTON_ENV_VARIABLES = Object.freeze({
  clientId: 'ACTON_CLIENT_ID',
  clientSecret: 'ACTON_CLIENT_SECRET',
  username: 'ACTON_USERNAME',
  password: 'ACTON_PASSWORD',
  region: 'ACTON_REGION',
  baseUrl: 'ACTON_BASE_URL',
  store: 'ACTON_TOKEN_STORE',
  tokenFile: 'ACTON_TOKEN_FILE',
  redisUrl: 'ACTON_REDIS_URL',
  encryptionKey: 'ACTON_ENCRYPTION_KEY',
} as const);

/** An option that can come from the environment. */
export type ActOnEnvOption = keyof typeof ACTON_ENV_VARIABLES;

/** Values found in the environment, by option name. */
export type ActOnEnvValues = Partial<Record<ActOnEnvOption, string>>;

/** Options whose environment value is a keyword, compared without case or surrounding blanks. */
const KEYWORD_OPTIONS: ReadonlySet<ActOnEnvOption> = new Set(['region', 'store']);

/**
 * Reads the `ACTON_*` variables of `env`. A variable set to an empty or blank string counts as unset, because
 * that is what `FOO=` in a compose file or a CI template produces. Secrets are returned exactly as found:
 * trimming a password could turn a right one into a wrong one.
 */
export function readActOnEnv(env: Readonly<Record<string, string | undefined>>): ActOnEnvValues {
  const values: ActOnEnvValues = {};
  for (const option of Object.keys(ACTON_ENV_VARIABLES) as ActOnEnvOption[]) {
    const raw = env[ACTON_ENV_VARIABLES[option]];
    if (typeof raw !== 'string' || raw.trim() === '') continue;
    values[option] = KEYWORD_OPTIONS.has(option) ? raw.trim().toLowerCase() : raw;
  }
  return values;
}
