/** Runs each after-commit callback alone: one that throws does not keep the others from running. */
export function runAll(callbacks: (() => void)[]): void {
  for (const fn of callbacks.splice(0)) {
    try {
      fn();
    } catch {
      // The transaction has committed; a failing follower must not turn it into an error.
    }
  }
}
