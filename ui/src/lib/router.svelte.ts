// Hash routing (`#/providers`): the gateway serves one `index.html`, and the desktop window can
// open any page by URL.

export const pages = [
  'home',
  'providers',
  'combos',
  'usage',
  'costs',
  'health',
  'translator',
  'cli-tools',
  'settings',
] as const;

export type Page = (typeof pages)[number];

function parse(hash: string): { page: Page; query: URLSearchParams } {
  const [path, query] = hash.replace(/^#\/?/, '').split('?');
  const page = (pages as readonly string[]).includes(path) ? (path as Page) : 'home';
  return { page, query: new URLSearchParams(query ?? '') };
}

const state = $state(parse(typeof location !== 'undefined' ? location.hash : ''));

if (typeof window !== 'undefined') {
  window.addEventListener('hashchange', () => Object.assign(state, parse(location.hash)));
}

export const route = state;

export function go(page: Page, query?: Record<string, string>): void {
  const q = query ? `?${new URLSearchParams(query)}` : '';
  location.hash = `#/${page}${q}`;
}
