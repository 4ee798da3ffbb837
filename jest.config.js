/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/packages/*/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json', isolatedModules: true }],
  },
  moduleNameMapper: {
    '^@acton/emulator$': '<rootDir>/packages/emulator/src',
    '^@acton/oauth-client$': '<rootDir>/packages/oauth-client/src',
  },
  testTimeout: 30000,
};
