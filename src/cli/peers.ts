/**
 * Peer discovery: verified profiles read from the net. Where a profile lies
 * says nothing: it is attributed to the identity that signed it.
 */
import type { Deps } from '../crypto/index.js';
import { GroupCryptError, StateError } from '../errors.js';
import type { KeyRegistryState } from '../keys/index.js';
import { registerBundle } from '../keys/index.js';
import type { Skipped } from './net.js';
import { readEntry, scanNet } from './net.js';
import type { Profile } from './profile.js';
import { decodeProfile } from './profile.js';

/** Every valid profile in the net (the longest-lived per peer, sorted by id) and what was skipped. */
export async function loadProfiles(net: string, deps: Deps): Promise<{ profiles: Profile[]; skipped: Skipped[] }> {
  const { entries, skipped } = await scanNet(net);
  const best: Record<string, Profile> = {};
  for (const entry of entries) {
    if (entry.kind !== 'bundle') continue;
    try {
      const profile = decodeProfile(await readEntry(entry, deps.crypto), deps);
      const known = best[profile.id];
      if (known === undefined || profile.bundle.signedPreKey.lifetime.notAfter > known.bundle.signedPreKey.lifetime.notAfter) best[profile.id] = profile;
    } catch (error) {
      if (!(error instanceof GroupCryptError)) throw error;
      skipped.push({ path: entry.path, reason: `${error.code}: ${error.message}` });
    }
  }
  const profiles = Object.keys(best).sort().map((id) => best[id] as Profile);
  return { profiles, skipped };
}

/**
 * Resolves a full id or a unique prefix (already validated as hex) among `ids`.
 * @throws StateError `notFound` when nothing matches, `STATE_DUPLICATE` when ambiguous.
 */
export function resolvePrefix(prefix: string, ids: readonly string[], what: string, notFound: 'STATE_UNKNOWN_GROUP' | 'STATE_UNKNOWN_MEMBER'): string {
  const matches = [...new Set(ids.filter((id) => id.startsWith(prefix)))];
  if (matches.length === 0) throw new StateError(notFound, `unknown ${what} ${prefix}`);
  if (matches.length > 1) throw new StateError('STATE_DUPLICATE', `${what} prefix ${prefix} is ambiguous (${matches.length} matches)`);
  return matches[0] as string;
}

/** Registers the given peers' bundles (already verified once; re-verified by the registry). */
export function registerProfiles(registry: KeyRegistryState, profiles: readonly Profile[], deps: Deps): KeyRegistryState {
  let next = registry;
  for (const profile of profiles) next = registerBundle(next, profile.bundle, deps);
  return next;
}
