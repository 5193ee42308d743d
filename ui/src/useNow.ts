import { useEffect, useState } from 'react';

const clock = () => Date.now();

/** The time, refreshed every `intervalMs`: relative times ("5 min ago") age without a reload. */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(clock);
  useEffect(() => {
    const timer = setInterval(() => setNow(clock()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
