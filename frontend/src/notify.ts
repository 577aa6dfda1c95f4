import { ApiError } from './api.js';
import { h } from './dom.js';

/** Toasts: short messages in a polite live region, so screen readers announce them too. */

const region = (): HTMLElement => {
  let element = document.getElementById('toasts');
  if (!element) {
    element = h('div', { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(element);
  }
  return element;
};

/** Older toasts give way to newer ones, so a burst of events never covers the screen. */
const MAX_TOASTS = 3;

export function toast(message: string, kind: 'info' | 'error' | 'success' = 'info'): void {
  const item = h('div', { class: `toast toast-${kind}` }, message);
  const container = region();
  container.append(item);
  while (container.childElementCount > MAX_TOASTS) container.firstElementChild?.remove();
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 5000);
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return err instanceof Error ? err.message : 'Something went wrong';
}

/** An inline error box for a form or a screen, announced at once. */
export function errorBox(err: unknown): HTMLElement {
  const requestId = err instanceof ApiError && err.requestId ? err.requestId : null;
  return h(
    'div',
    { class: 'alert', role: 'alert' },
    h('strong', {}, errorMessage(err)),
    requestId ? h('small', { class: 'muted' }, ` Reference: ${requestId}`) : null,
  );
}
