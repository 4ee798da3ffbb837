import { ActOnLockTimeoutError } from '../../src/errors';
import { MemoryTokenStore } from '../../src/memory-token-store';
import { tokenStoreContract } from './contract';
import { holdLock, sleep, tokens } from './helpers';

describe('MemoryTokenStore', () => {
  describe('TokenStore contract', () => {
    tokenStoreContract({
      create: async () => new MemoryTokenStore(),
      destroy: (store) => store.close(),
    });
  });

  it('stores a copy of the TokenSet fields only: later changes and extra fields of the input never reach it', async () => {
    const store = new MemoryTokenStore();
    const input = { ...tokens(1), extra: { nested: 'x' } };
    await store.set('a', input, 0);
    input.accessToken = 'changed-after-set';
    const read = await store.get('a');
    expect(read?.tokens).toEqual(tokens(1));
    expect(read?.tokens).not.toHaveProperty('extra');
    await store.close();
  });

  it('forgets per-account lock state once locks are released or timed out', async () => {
    const store = new MemoryTokenStore();
    const locks = (store as unknown as { locks: { size: number } }).locks;
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.withLock(`acct-${i}`, { leaseMs: 1_000, waitTimeoutMs: 1_000 }, async () => sleep(1)),
      ),
    );
    const holder = holdLock(store, 'x', { leaseMs: 5_000, waitTimeoutMs: 1_000 });
    await holder.held;
    expect(locks.size).toBe(1);
    await expect(
      store.withLock('x', { leaseMs: 1_000, waitTimeoutMs: 20 }, async () => undefined),
    ).rejects.toBeInstanceOf(ActOnLockTimeoutError);
    holder.release();
    await holder.done;
    expect(locks.size).toBe(0);
    await store.close();
  });

  it('keeps no ref-ed timer while a lock is held and waited for (lease and wait timers are unref-ed)', async () => {
    const store = new MemoryTokenStore();
    const before = timeouts();
    const holder = holdLock(store, 'a', { leaseMs: 60_000, waitTimeoutMs: 1_000 });
    await holder.held;
    const waiter = store.withLock('a', { leaseMs: 60_000, waitTimeoutMs: 60_000 }, async () => 'ok');
    await sleep(0);
    expect(timeouts()).toBe(before);
    holder.release();
    await holder.done;
    await expect(waiter).resolves.toBe('ok');
    expect(timeouts()).toBe(before);
    await store.close();
  });
});

/** Ref-ed timers of this process: each one would keep Node alive. */
function timeouts(): number {
  return (process as unknown as { getActiveResourcesInfo(): string[] })
    .getActiveResourcesInfo()
    .filter((r) => r === 'Timeout').length;
}
