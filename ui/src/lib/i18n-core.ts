// Message catalogs: pure helpers (flattening, lookup, interpolation, picking a language), kept
// apart from the reactive state so unit tests run without a browser.

export type Catalog = Record<string, string>;

/** `{"home": {"title": "Home"}}` → `{"home.title": "Home"}`. */
export function flatten(tree: Record<string, unknown>, prefix = ''): Catalog {
  const out: Catalog = {};
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === 'object') Object.assign(out, flatten(value as Record<string, unknown>, path));
    else out[path] = String(value);
  }
  return out;
}

/** Replaces `{name}` with `params.name`; unknown names stay as written. */
export function interpolate(message: string, params?: Record<string, string | number>): string {
  if (!params) return message;
  return message.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** The message for `key` in `locale`, else English, else the key itself (visible, not blank). */
export function lookup(catalogs: Record<string, Catalog>, locale: string, key: string): string {
  return catalogs[locale]?.[key] ?? catalogs.en?.[key] ?? key;
}

/** The first of the user's languages (`da-DK` counts as `da`) that has a catalog. */
export function pickLocale(wanted: readonly string[], available: readonly string[], fallback = 'en'): string {
  for (const tag of wanted) {
    const lower = tag.toLowerCase();
    if (available.includes(lower)) return lower;
    const base = lower.split('-')[0];
    if (available.includes(base)) return base;
  }
  return fallback;
}

/** Keys of `reference` missing from `other` (catalog completeness). */
export function missingKeys(reference: Catalog, other: Catalog): string[] {
  return Object.keys(reference).filter((k) => !(k in other));
}
