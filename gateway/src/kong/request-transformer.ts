import { type KongRoute, pluginConfig, type RequestTransformerConfig } from './declaration.js';

/** `$(uri_captures.name)` or `$(uri_captures["name"])`: a named group of the route's regex path. */
const CAPTURE = /\$\(uri_captures(?:\.(\w+)|\[["'](\w+)["']\])\)/g;

/**
 * Kong's request-transformer, the one part Food Flow uses: `replace.uri` sends a request matched by
 * the route on to another path, which may name the groups the route's regex path captured. Routes
 * without it go on with the path they were asked for (Kong's `strip_path: false`).
 */
export function upstreamPathFor(route: KongRoute): (path: string) => string {
  const uri = pluginConfig<RequestTransformerConfig>('request-transformer', route.plugins)?.replace?.uri;
  if (uri === undefined) return (path) => path;
  const patterns = route.paths.filter((p) => p.startsWith('~')).map((p) => new RegExp(`^(?:${p.slice(1)})`));
  return (path) => {
    const groups = patterns.map((pattern) => pattern.exec(path)?.groups).find(Boolean) ?? {};
    return uri.replace(CAPTURE, (_, dotted?: string, quoted?: string) => groups[(dotted ?? quoted)!] ?? '');
  };
}
