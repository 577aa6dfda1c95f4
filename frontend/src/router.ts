/**
 * Hash routing: `#/restaurants/42` works from any static host (and Nginx's index.html fallback) with no
 * server-side routes. A screen renders into the outlet and may return a cleanup for when it is left.
 */

export type Cleanup = () => void;
export type Screen = (outlet: HTMLElement, params: Record<string, string>) => Cleanup | void;

interface Route {
  pattern: RegExp;
  keys: string[];
  screen: Screen;
}

export function route(path: string, screen: Screen): Route {
  const keys: string[] = [];
  const pattern = path.replace(/:(\w+)/g, (_, key: string) => {
    keys.push(key);
    return '([^/]+)';
  });
  return { pattern: new RegExp(`^${pattern}$`), keys, screen };
}

export function navigate(path: string): void {
  if (window.location.hash === `#${path}`) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else window.location.hash = path;
}

export function currentPath(): string {
  return window.location.hash.replace(/^#/, '') || '/';
}

export function startRouter(
  outlet: HTMLElement,
  routes: Route[],
  fallback: () => string,
  onRender: (path: string) => void,
): void {
  let cleanup: Cleanup | void;
  const render = (): void => {
    const path = currentPath();
    for (const { pattern, keys, screen } of routes) {
      const match = pattern.exec(path);
      if (!match) continue;
      cleanup?.();
      const params = Object.fromEntries(keys.map((key, i) => [key, decodeURIComponent(match[i + 1] ?? '')]));
      outlet.replaceChildren();
      onRender(path);
      cleanup = screen(outlet, params);
      return;
    }
    navigate(fallback());
  };
  window.addEventListener('hashchange', render);
  render();
}
