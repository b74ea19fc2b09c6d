/**
 * Validity window of a signed pre-key, in UNIX seconds. The window is covered
 * by the pre-key signature (p2panda signed only the key: bug 4 of DCGKA.md §7).
 */
import { VerifyError } from '../errors.js';

/** Validity window `[notBefore, notAfter]` in UNIX seconds, both inclusive. */
export interface Lifetime {
  readonly notBefore: number;
  readonly notAfter: number;
}

/**
 * Checks that `now` lies inside the lifetime.
 * @throws VerifyError `VERIFY_NOT_YET_VALID` before `notBefore`, `VERIFY_EXPIRED` after `notAfter`.
 */
export function checkLifetime(lifetime: Lifetime, now: number): void {
  if (now < lifetime.notBefore) {
    throw new VerifyError('VERIFY_NOT_YET_VALID', `pre-key not valid before ${lifetime.notBefore} (now ${now})`);
  }
  if (now > lifetime.notAfter) {
    throw new VerifyError('VERIFY_EXPIRED', `pre-key expired at ${lifetime.notAfter} (now ${now})`);
  }
}

/** True when `now` lies inside the lifetime. */
export function isLifetimeValid(lifetime: Lifetime, now: number): boolean {
  return now >= lifetime.notBefore && now <= lifetime.notAfter;
}
