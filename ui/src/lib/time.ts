// Time ranges the pages ask the usage API for (Unix ms, local midnight).

export function startOfTodayMs(now = new Date()): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function daysAgoMs(days: number, now = new Date()): number {
  return startOfTodayMs(now) - days * 86_400_000;
}
