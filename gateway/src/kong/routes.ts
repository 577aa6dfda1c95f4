import type { KongRoute } from './declaration.js';

interface PathMatcher {
  route: KongRoute;
  regex: boolean;
  priority: number;
  length: number;
  test: (path: string) => boolean;
}

/**
 * Kong 3 path rules: a path starting with `~` is a regular expression anchored at the start of the
 * request path; any other path is a plain prefix. Regex paths are tried first (highest
 * `regex_priority` first), then prefixes from the longest down.
 */
function pathMatcher(route: KongRoute, path: string): PathMatcher {
  if (path.startsWith('~')) {
    const pattern = new RegExp(`^(?:${path.slice(1)})`);
    return {
      route,
      regex: true,
      priority: route.regex_priority ?? 0,
      length: path.length,
      test: (p) => pattern.test(p),
    };
  }
  return { route, regex: false, priority: 0, length: path.length, test: (p) => p.startsWith(path) };
}

export class RouteTable {
  private readonly matchers: PathMatcher[];

  constructor(routes: KongRoute[]) {
    this.matchers = routes
      .flatMap((route) => route.paths.map((path) => pathMatcher(route, path)))
      .sort((a, b) => Number(b.regex) - Number(a.regex) || b.priority - a.priority || b.length - a.length);
  }

  /** The route Kong would pick for this method and (already normalised) path, if any. */
  match(method: string, path: string): KongRoute | undefined {
    return this.matchers.find(
      (m) => (!m.route.methods || m.route.methods.includes(method.toUpperCase())) && m.test(path),
    )?.route;
  }
}

/** Whether the route carries Kong's jwt plugin, i.e. refuses requests without a valid access token. */
export const requiresToken = (route: KongRoute): boolean => route.plugins?.some((p) => p.name === 'jwt') ?? false;
