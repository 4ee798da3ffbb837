export { startExampleApp, type RunningExample, type StartOptions } from './example-app';
export { loadExampleConfig, DEMO_USERS, type ExampleConfig } from './example-config';
