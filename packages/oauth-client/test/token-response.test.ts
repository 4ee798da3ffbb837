import fc from 'fast-check';
import {
  ActOnError,
  ActOnInvalidTokenResponseError,
  ActOnTokenEndpointError,
  isTokenSet,
  parseTokenResponse,
} from '../src';

const NOW = 1_700_000_000_000;

describe('parseTokenResponse', () => {
  it("accepts Act-On's documented success shape", () => {
    const tokens = parseTokenResponse(
      200,
      JSON.stringify({
        access_token: 'a',
        refresh_token: 'r',
        scope: 'offline-access',
        token_type: 'Bearer',
        expires_in: 3600,
      }),
      NOW,
      'password',
    );
    expect(tokens).toEqual({
      accessToken: 'a',
      refreshToken: 'r',
      tokenType: 'Bearer',
      scope: 'offline-access',
      expiresAt: NOW + 3_600_000,
      obtainedAt: NOW,
    });
  });

  it('uses the expires_in that arrives (86400 in older docs), numeric strings included', () => {
    const body = { access_token: 'a', refresh_token: 'r', token_type: 'Bearer' };
    expect(
      parseTokenResponse(200, JSON.stringify({ ...body, expires_in: 86400 }), NOW, 'refresh_token').expiresAt,
    ).toBe(NOW + 86_400_000);
    expect(
      parseTokenResponse(200, JSON.stringify({ ...body, expires_in: '3600' }), NOW, 'refresh_token')
        .expiresAt,
    ).toBe(NOW + 3_600_000);
  });

  it('turns an OAuth error into ActOnTokenEndpointError, even under a 2xx status', () => {
    expect(() => parseTokenResponse(200, '{"error":"invalid_grant"}', NOW, 'refresh_token')).toThrow(
      ActOnTokenEndpointError,
    );
    const error = (() => {
      try {
        return parseTokenResponse(
          401,
          '{"error":"access_denied","error_description":"Unauthorized"}',
          NOW,
          'password',
        );
      } catch (caught) {
        return caught as ActOnTokenEndpointError;
      }
    })();
    expect(error).toMatchObject({ status: 401, error: 'access_denied', errorDescription: 'Unauthorized' });
  });

  it.each([
    [429, 'too_many_requests'],
    [503, 'server_error'],
    [401, 'access_denied'],
    [404, 'invalid_response'],
  ])('names a bare HTTP %i without an OAuth body %s', (status, error) => {
    expect(() => parseTokenResponse(status, '<html/>', NOW, 'password')).toThrow(
      expect.objectContaining({ status, error }),
    );
  });

  it('never returns anything but a valid TokenSet and never throws anything but a typed ActOnError (property)', () => {
    const jsonish = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record(
          {
            access_token: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
            refresh_token: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
            token_type: fc.oneof(fc.constant('Bearer'), fc.string()),
            expires_in: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)),
            error: fc.string(),
            scope: fc.string(),
          },
          { requiredKeys: [] },
        )
        .map((record) => JSON.stringify(record)),
    );
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), jsonish, (status, body) => {
        try {
          const tokens = parseTokenResponse(status, body, NOW, 'refresh_token');
          expect(status >= 200 && status < 300).toBe(true);
          expect(isTokenSet(tokens)).toBe(true);
          expect(tokens.expiresAt).toBeGreaterThan(NOW);
        } catch (error) {
          expect(error).toBeInstanceOf(ActOnError);
          expect(
            error instanceof ActOnTokenEndpointError || error instanceof ActOnInvalidTokenResponseError,
          ).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
