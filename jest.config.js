/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/packages/*/test/**/*.test.ts', '<rootDir>/examples/*/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
  moduleNameMapper: {
    '^@acton/emulator$': '<rootDir>/packages/emulator/src',
    '^@acton/oauth-client$': '<rootDir>/packages/oauth-client/src',
    '^@acton/nest-auth$': '<rootDir>/packages/nest-auth/src',
    '^passport-acton$': '<rootDir>/packages/passport-acton/src',
  },
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
  testTimeout: 30000,
};
