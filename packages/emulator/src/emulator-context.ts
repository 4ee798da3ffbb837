import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthBudget } from './auth-budget';
import type { EmulatorClock } from './clock';
import type { CodeRegistry } from './code-registry';
import type { FaultInjector, GrantType } from './faults';
import type { ResolvedOptions, ResolvedUser } from './options';
import type { SlidingWindow } from './sliding-window';
import type { EmulatorStats } from './stats';
import type { TokenRegistry } from './token-registry';
import type { TokenResponseBody } from './token-response';

/** The state and services one emulator instance shares between its endpoint handlers. */
export interface EmulatorContext {
  readonly options: ResolvedOptions;
  readonly clock: EmulatorClock;
  readonly users: ReadonlyMap<string, ResolvedUser>;
  readonly tokens: TokenRegistry;
  readonly codes: CodeRegistry;
  readonly budget: AuthBudget;
  /** `undefined` when the API rate limit is off. */
  readonly apiLimiter: SlidingWindow | undefined;
  readonly faults: FaultInjector;
  /** Reset zeroes it in place, so holding the reference is safe. */
  readonly stats: EmulatorStats;
  /** Issues a pair for a configured user (killing older pairs) and counts it. */
  issuePair(username: string): TokenResponseBody;
  /**
   * Applies the fault decided for this request before it has any effect.
   *
   * @returns false when the request was answered or dropped by a fault and must not be handled
   */
  applyFaults(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    grantType: GrantType | undefined,
  ): Promise<boolean>;
  /** Adds non-secret detail (grant type, username) to the request's log line. */
  annotate(res: ServerResponse, detail: string): void;
}
