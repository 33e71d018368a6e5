// Waiting for something with a limit: shutdown waits for handlers and for MongoDB's close, never forever.

/** Whether `promise` resolved within `timeoutMs` (its rejection is thrown); it is not cancelled, and no timer is left behind. */
export async function resolvesWithin(promise: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => { resolve(false); }, timeoutMs)));
  try {
    return await Promise.race([promise.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
