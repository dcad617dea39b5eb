import { z } from 'zod/v3';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
type Day = (typeof DAYS)[number];

const time = z
  .string()
  .regex(
    /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/,
    'must be a time of day as HH:MM, 00:00 to 24:00',
  );

function validTimeZone(zone: string): boolean {
  try {
    return !!new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
    }).resolvedOptions().timeZone;
  } catch {
    return false;
  }
}

/**
 * A change window that comes back every week (`every` of an approval rule): it opens on each of
 * `days` at `from`, local time in `timeZone`, and closes at `to` the same day, or the next day
 * when `to` is not after `from` (a night).
 */
export const weeklyWindowSchema = z
  .object({
    days: z.array(z.enum(DAYS)).min(1, 'name the days the window opens on'),
    from: time,
    to: time,
    timeZone: z
      .string()
      .refine(validTimeZone, 'must be an IANA time zone, such as Europe/Paris')
      .default('UTC'),
  })
  .strict()
  .refine(w => w.from !== w.to, {
    message: 'a window opens (from) and closes (to) at different times',
  });
export type WeeklyWindow = z.output<typeof weeklyWindowSchema>;

const minutes = (hhmm: string) =>
  Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

/** The day of the week and the minute of the day at `at`, in `timeZone`. */
function localTime(at: Date, timeZone: string): { day: Day; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string) => parts.find(p => p.type === type)!.value;
  return {
    day: part('weekday').toLowerCase() as Day,
    minute: Number(part('hour')) * 60 + Number(part('minute')),
  };
}

/** Whether `at` is inside one of the window's weekly openings. */
export function inWeeklyWindow(window: WeeklyWindow, at: Date): boolean {
  const { day, minute } = localTime(at, window.timeZone);
  const from = minutes(window.from);
  const to = minutes(window.to);
  const opensOn = (d: Day) => window.days.includes(d);
  if (from < to) return opensOn(day) && from <= minute && minute < to;
  // A night: opened today at `from`, or yesterday and not yet closed.
  const yesterday = DAYS[(DAYS.indexOf(day) + 6) % 7];
  return (
    (opensOn(day) && minute >= from) || (opensOn(yesterday) && minute < to)
  );
}

/** The window as people read it: "sat, sun 22:00-06:00 (Europe/Paris)". */
export function describeWeeklyWindow(window: WeeklyWindow): string {
  return `${window.days.join(', ')} ${window.from}-${window.to} (${
    window.timeZone
  })`;
}
