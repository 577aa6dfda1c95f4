/**
 * Commands some tests run for real, with the Debian package that provides each. `npm test` installs
 * the missing ones before testing.
 */
export const TEST_TOOLS: { command: string; pkg: string }[] = [];
