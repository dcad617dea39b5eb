import { useEffect, useRef, useState } from 'react';

/** What a name field's check found, shown on its helper line. */
export type CheckResult = {
  state: 'available' | 'taken' | 'invalid' | 'unknown';
  message: string;
};

/** A check's result, or `checking` while it is asked. */
export type Availability = { state: 'checking' } | CheckResult;

/**
 * Asks `check` once typing pauses (300 ms after `key` last changed), `checking` meanwhile;
 * undefined while `key` is undefined (nothing to ask about). A failed check is `unknown`, with
 * its reason.
 */
export function useAvailability(
  key: string | undefined,
  check: () => Promise<CheckResult>,
): Availability | undefined {
  const [availability, setAvailability] = useState<Availability>();
  const latest = useRef(check);
  latest.current = check;

  useEffect(() => {
    if (key === undefined) {
      setAvailability(undefined);
      return undefined;
    }
    setAvailability({ state: 'checking' });
    let current = true;
    const timer = setTimeout(() => {
      latest.current().then(
        answer => current && setAvailability(answer),
        e =>
          current &&
          setAvailability({
            state: 'unknown',
            message: `Could not check availability: ${e.message}`,
          }),
      );
    }, 300);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [key]);

  return availability;
}
