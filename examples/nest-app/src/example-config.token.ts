/** Injection token of the {@link ExampleConfig}. */
export const EXAMPLE_CONFIG = Symbol('EXAMPLE_CONFIG');
