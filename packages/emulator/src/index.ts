export { createActOnEmulator, startActOnEmulator, type ActOnEmulator } from './emulator';
export {
  EMULATOR_DEFAULTS,
  type ActOnEmulatorOptions,
  type AuthLimitResponse,
  type EmulatorUser,
  type ResolvedOptions,
  type ResolvedUser,
} from './options';
export type { EmulatorAccountInfo } from './account-info';
export { createManualClock, createSystemClock, type EmulatorClock } from './clock';
export { mulberry32, type FaultOptions, type GrantType, type OneShotFault } from './faults';
export type { EmulatorStats, EmulatorUserStats } from './stats';
export type { TokenResponseBody } from './token-response';
