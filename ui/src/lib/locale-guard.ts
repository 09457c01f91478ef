// WebKitGTK under the C/POSIX locale (LANG unset, as on a bare desktop session or in the desktop
// app started from a service) reports `navigator.language` as "C". `Intl` rejects that with a
// RangeError — and uPlot builds a NumberFormat from it when it is imported, which stopped the
// whole dashboard from starting. Imported first by main.ts, this replaces unusable tags.

/** The tags `Intl` accepts, in order; `en-US` when none is usable. */
export function usableLanguages(tags: readonly string[]): string[] {
  const ok = tags.filter((tag) => {
    try {
      return Intl.getCanonicalLocales(tag).length > 0;
    } catch {
      return false;
    }
  });
  return ok.length > 0 ? ok : ['en-US'];
}

if (typeof navigator !== 'undefined') {
  const reported = navigator.languages?.length ? [...navigator.languages] : [navigator.language];
  const usable = usableLanguages(reported);
  if (usable[0] !== navigator.language) {
    Object.defineProperty(navigator, 'language', { value: usable[0], configurable: true });
    Object.defineProperty(navigator, 'languages', { value: Object.freeze(usable), configurable: true });
  }
}
