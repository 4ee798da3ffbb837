/** The three grants of the token endpoint. */
export type GrantType = 'password' | 'authorization_code' | 'refresh_token';

/** Random faults, reproducible: the same seed and the same request sequence give the same faults. */
export interface FaultOptions {
  /** PRNG seed. Default 1. */
  seed?: number;
  /** Delay added to every matching request: fixed, or uniformly drawn from `[min, max]`. Real time, not the emulator clock. */
  latencyMs?: number | [min: number, max: number];
  /** Share (0..1) of matching requests answered 503 `{"error":"server_error"}` without side effects. */
  errorRate?: number;
  /** Share (0..1) of matching requests whose socket is destroyed without any response, without side effects. */
  dropRate?: number;
  /** Share (0..1) of successful token grants where the pair is issued (older ones killed) but the socket is destroyed instead of answering. */
  rotateThenDropRate?: number;
  /** Paths the random faults apply to. Default `['/token', '/api/1/account']`. */
  paths?: string[];
}

/** A fault queued for the next matching request; for targeted, deterministic tests. */
export interface OneShotFault {
  kind: 'error' | 'drop' | 'rotate-then-drop' | 'latency';
  /** How many matching requests it hits. Default 1. */
  times?: number;
  /** Default `'/token'`. */
  path?: string;
  /** Only `/token` requests of this grant. Default any. */
  grantType?: GrantType;
  /** Delay before the fault (required for `'latency'`, optional for the others). */
  latencyMs?: number;
  /** Status of an `'error'` fault. Default 503. */
  status?: number;
}

/** What to do with one request before handling it. */
export interface FaultDecision {
  latencyMs: number;
  action: 'none' | 'error' | 'drop';
  status: number;
}

const DEFAULT_PATHS = ['/token', '/api/1/account'];
const NO_FAULT: FaultDecision = { latencyMs: 0, action: 'none', status: 0 };

/**
 * mulberry32: a seeded sequence of numbers in [0, 1), tiny, fast and good enough to spread faults (cryptographic
 * quality is not the point). Exported so reliability tests can replay their own random choices from a seed.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkRate(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new RangeError(`faults.${name} must be between 0 and 1, got ${String(value)}`);
  }
  return value;
}

function checkDelay(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative number of ms, got ${String(value)}`);
  }
  return value;
}

interface ResolvedFaults {
  latency: [number, number];
  errorRate: number;
  dropRate: number;
  rotateThenDropRate: number;
  paths: ReadonlySet<string>;
  random: () => number;
}

function resolveFaults(faults: FaultOptions): ResolvedFaults {
  const latency = faults.latencyMs ?? 0;
  const range: [number, number] = Array.isArray(latency)
    ? [checkDelay('faults.latencyMs[0]', latency[0]), checkDelay('faults.latencyMs[1]', latency[1])]
    : [checkDelay('faults.latencyMs', latency), latency];
  if (range[0] > range[1]) throw new RangeError('faults.latencyMs: min must not exceed max');
  const seed = faults.seed ?? 1;
  if (!Number.isFinite(seed))
    throw new RangeError(`faults.seed must be a finite number, got ${String(seed)}`);
  return {
    latency: range,
    errorRate: checkRate('errorRate', faults.errorRate),
    dropRate: checkRate('dropRate', faults.dropRate),
    rotateThenDropRate: checkRate('rotateThenDropRate', faults.rotateThenDropRate),
    paths: new Set(faults.paths ?? DEFAULT_PATHS),
    random: mulberry32(seed),
  };
}

interface QueuedFault {
  kind: OneShotFault['kind'];
  remaining: number;
  path: string;
  grantType: GrantType | undefined;
  latencyMs: number;
  status: number;
}

/**
 * Decides which requests get a fault. One-shot faults go first, in queue order; random faults draw from a
 * seeded PRNG only for the configured paths, so a run is repeatable.
 */
export class FaultInjector {
  private random: ResolvedFaults | undefined;
  private queue: QueuedFault[] = [];

  constructor(faults?: FaultOptions) {
    this.configure(faults);
  }

  /** Replaces the random faults and restarts the PRNG from the (new) seed. */
  configure(faults: FaultOptions | undefined): void {
    this.random = faults === undefined ? undefined : resolveFaults(faults);
  }

  /** Queues a one-shot fault. */
  enqueue(fault: OneShotFault): void {
    const kinds: ReadonlyArray<OneShotFault['kind']> = ['error', 'drop', 'rotate-then-drop', 'latency'];
    if (!kinds.includes(fault.kind))
      throw new TypeError(`injectFault: unknown kind ${JSON.stringify(fault.kind)}`);
    const times = fault.times ?? 1;
    if (!Number.isInteger(times) || times < 1)
      throw new RangeError('injectFault: times must be a positive integer');
    if (fault.kind === 'latency' && fault.latencyMs === undefined) {
      throw new TypeError("injectFault: kind 'latency' needs latencyMs");
    }
    const status = fault.status ?? 503;
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      throw new RangeError(`injectFault: status must be an HTTP status, got ${String(status)}`);
    }
    this.queue.push({
      kind: fault.kind,
      remaining: times,
      path: fault.path ?? '/token',
      grantType: fault.grantType,
      latencyMs: checkDelay('injectFault: latencyMs', fault.latencyMs ?? 0),
      status,
    });
  }

  /** Drops every queued one-shot fault. The random configuration stays. */
  clearQueue(): void {
    this.queue = [];
  }

  /** The fault (if any) for a request, decided before any side effect. */
  decide(path: string, grantType: GrantType | undefined): FaultDecision {
    const queued = this.take(path, grantType, (kind) => kind !== 'rotate-then-drop');
    if (queued !== undefined) {
      const action = queued.kind === 'latency' ? 'none' : queued.kind === 'error' ? 'error' : 'drop';
      return { latencyMs: queued.latencyMs, action, status: queued.status };
    }
    const random = this.random;
    if (random === undefined || !random.paths.has(path)) return NO_FAULT;
    const [min, max] = random.latency;
    const latencyMs = min === max ? min : Math.round(min + random.random() * (max - min));
    if (random.errorRate > 0 && random.random() < random.errorRate) {
      return { latencyMs, action: 'error', status: 503 };
    }
    if (random.dropRate > 0 && random.random() < random.dropRate)
      return { latencyMs, action: 'drop', status: 0 };
    return { latencyMs, action: 'none', status: 0 };
  }

  /**
   * Asked after a grant succeeded and the pair exists: whether to drop the connection instead of answering.
   * A queued rotate-then-drop is only spent here, so a failing grant does not use it up.
   */
  dropAfterIssue(path: string, grantType: GrantType): boolean {
    if (this.take(path, grantType, (kind) => kind === 'rotate-then-drop') !== undefined) return true;
    const random = this.random;
    if (random === undefined || !random.paths.has(path) || random.rotateThenDropRate === 0) return false;
    return random.random() < random.rotateThenDropRate;
  }

  private take(
    path: string,
    grantType: GrantType | undefined,
    kindMatches: (kind: OneShotFault['kind']) => boolean,
  ): QueuedFault | undefined {
    const index = this.queue.findIndex(
      (f) =>
        kindMatches(f.kind) && f.path === path && (f.grantType === undefined || f.grantType === grantType),
    );
    if (index < 0) return undefined;
    const fault = this.queue[index] as QueuedFault;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.queue.splice(index, 1);
    return fault;
  }
}
