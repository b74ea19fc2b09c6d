/**
 * `init`, `whoami`, `peers`: identities and the key bundles in the net.
 */
import { Home } from './home.js';
import type { Output } from './output.js';
import { short, table } from './output.js';
import { loadProfiles } from './peers.js';
import type { Deps } from '../crypto/index.js';

/** `init [--name NAME]`: new identity + pre-keys in HOME, profile published to NET. */
export async function runInit(home: string, net: string, name: string | undefined, out: Output, deps: Deps): Promise<void> {
  const opened = await Home.init(home, name, deps);
  try {
    await opened.flush(net);
    out.result({ id: opened.id, name: opened.name }, table([['id', opened.id], ['name', opened.name]]));
  } finally {
    await opened.close();
  }
}

/** `whoami`. */
export async function runWhoami(home: string, out: Output, deps: Deps): Promise<void> {
  const opened = await Home.open(home, deps);
  try {
    out.result({ id: opened.id, name: opened.name }, table([['id', opened.id], ['name', opened.name]]));
  } finally {
    await opened.close();
  }
}

/** `peers`: every verified identity in the net, one per line; invalid bundles are reported and skipped. */
export async function runPeers(home: string, net: string, out: Output, deps: Deps): Promise<void> {
  const opened = await Home.open(home, deps);
  try {
    await opened.flush(net);
    const { profiles, skipped } = await loadProfiles(net, deps);
    for (const s of skipped) out.note(`skipped ${s.path}: ${s.reason}`);
    if (out.json) for (const p of profiles) out.result({ id: p.id, name: p.name }, []);
    else {
      const rows = profiles.map((p) => [short(p.id), p.name, p.id === opened.id ? '(you)' : '', p.id]);
      for (const line of table(rows)) out.info(line);
      if (profiles.length === 0) out.info('no peers in the net yet');
    }
  } finally {
    await opened.close();
  }
}
