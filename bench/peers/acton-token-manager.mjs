// Adapter for the side-by-side peer harness in ../shared/peers-bench (see its adapters/README.md):
//   cd ../shared/peers-bench && node bench.mjs --adapter ../../main/bench/peers/acton-token-manager.mjs
// Uses the built package (npm run build first). Processes of one phase-d scenario share cfg.sharedDir, so they
// share one FileTokenStore there: one login, one refresh per expiry, whatever the number of processes.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const { ActOnTokenManager, FileTokenStore } = require(
  path.resolve(HERE, '../../packages/oauth-client/dist/index.js'),
);

export default {
  name: 'acton ActOnTokenManager (FileTokenStore in sharedDir)',
  async create(cfg) {
    const store = new FileTokenStore({ path: path.join(cfg.sharedDir, 'acton-tokens.json') });
    const manager = new ActOnTokenManager({
      clientId: cfg.clientId,
      clientSecret: cfg.clientSecret,
      baseUrl: cfg.tokenUrl.replace(/\/token$/, ''),
      store,
      credentials: { username: cfg.username, password: cfg.password },
      refreshSkewMs: cfg.refreshMarginMs,
    });
    if (cfg.seed !== undefined) {
      const seed = cfg.seed;
      const tokens = {
        accessToken: seed.access_token,
        refreshToken: seed.refresh_token,
        tokenType: seed.token_type ?? 'Bearer',
        ...(seed.scope ? { scope: seed.scope } : {}),
        obtainedAt: seed.received_at,
        expiresAt: seed.received_at + seed.expires_in * 1000,
      };
      // Only the first process seeds the shared store (compare-and-swap on "no pair yet"): a later process must
      // not put back a pair that a sibling has already rotated.
      await store.set(manager.defaultAccount, tokens, 0).catch((error) => {
        if (error.code !== 'store_conflict') throw error;
      });
    }
    await manager.getAccessToken();
    return {
      getAccessToken: () => manager.getAccessToken(),
      close: () => {
        manager.close().then(() => store.close());
      },
    };
  },
};
