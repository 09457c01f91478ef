// "The window came back to the front": it got the focus, or its tab became visible again. Pages
// showing state that changes elsewhere (the desktop tray, another tab) look again then.

/** Calls `fn` each time the window is shown again; returns the function that stops it. */
export function onWindowShown(fn: () => void): () => void {
  const onVisibility = () => document.visibilityState === 'visible' && fn();
  window.addEventListener('focus', fn);
  document.addEventListener('visibilitychange', onVisibility);
  return () => {
    window.removeEventListener('focus', fn);
    document.removeEventListener('visibilitychange', onVisibility);
  };
}
