import { ActOnConfigurationError } from '@acton/oauth-client';
import { ACTON_ENV_VARIABLES, type ActOnEnvOption } from './env-options';

/** Where the value of an option came from, so an error can point at the place to fix. */
export type OptionSource = 'options' | 'env';

const PREFIX = 'ActOnAuthModule: ';

function envVariable(option: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(ACTON_ENV_VARIABLES, option)
    ? ACTON_ENV_VARIABLES[option as ActOnEnvOption]
    : undefined;
}

/** Tells where to fix `option`: the env variable it came from, or both places when it is missing. */
function whereToFix(option: string, source: OptionSource | undefined): string {
  const variable = envVariable(option);
  if (source === 'env' && variable !== undefined) return ` (read from ${variable})`;
  if (source === 'options') return ' (from the module options)';
  return variable === undefined ? '' : ` (set the option "${option}" or ${variable})`;
}

/**
 * The one error a bad module option produces: an `ActOnConfigurationError` whose `option` names the module
 * option and whose message says where the value came from. Callers never pass a value into `problem`.
 */
export function moduleConfigurationError(
  option: string,
  problem: string,
  source?: OptionSource,
): ActOnConfigurationError {
  return new ActOnConfigurationError(option, `${PREFIX}${problem}${whereToFix(option, source)}`);
}

/**
 * Re-labels an `ActOnConfigurationError` thrown by the core (whose messages are already secret-free) with
 * the module option it stems from, e.g. `RedisTokenStore`'s `url` becomes `redisUrl`.
 */
export function relabelConfigurationError(
  error: unknown,
  optionNames: Readonly<Record<string, string>>,
  sources: Readonly<Partial<Record<string, OptionSource>>>,
): unknown {
  if (!isConfigurationError(error) || error.message.startsWith(PREFIX)) return error;
  const option = optionNames[error.option] ?? error.option;
  return moduleConfigurationError(option, error.message, sources[option]);
}

/**
 * Duck-typed, so that an error from a second copy of `@acton/oauth-client` (a nested install) is still
 * recognised.
 */
export function isConfigurationError(error: unknown): error is ActOnConfigurationError {
  return (
    error instanceof Error &&
    (error as Partial<ActOnConfigurationError>).code === 'configuration' &&
    typeof (error as Partial<ActOnConfigurationError>).option === 'string'
  );
}
