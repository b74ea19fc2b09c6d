/**
 * The MLS "Secret Group" (seed 001), four people sharing one folder of
 * documents: Olivia creates a group and owns it; Alice and Bob join through
 * published key packages; Alice (not the owner) proposes adding Carol and
 * Olivia commits it when she next syncs; Bob is removed and can no longer
 * read; Carol, a late joiner, reads the long-term history; Olivia hands the
 * group over to Alice and leaves. Everything goes through the pure driver
 * (`actSecretGroup` / `receiveSecretGroup`) a runtime would call.
 * Run: `npx tsx examples/mls-secret-group.ts`
 */
import { pathToFileURL } from 'node:url';
import { defaultDeps, toHex } from 'groupcrypt/crypto';
import {
  actSecretGroup, commitPosition, createKeyPackageRegistry, createMemberKeyStore, createMlsCiphersuite, createSecretGroup, joinSecretGroup,
  receiveSecretGroup, registerKeyPackage, replenishKeyPackages, secretGroupDocumentKind, takeKeyPackage, viewSecretGroup,
  type KeyPackageRegistry, type MemberKeyStore, type MlsDeps, type SecretGroupAction, type SecretGroupState, type SecretGroupStep,
} from 'groupcrypt/mls';

/** What the story ends with, for the test that runs it. */
export interface ExampleSummary {
  /** Per person: the plaintexts read (in order) and the members they see. */
  readonly people: Record<string, { read: string[]; members: string[]; status: string; owner: string }>;
  readonly log: string[];
}

interface Person {
  readonly name: string;
  identity: MemberKeyStore;
  state?: SecretGroupState;
  /** Index of the next folder entry to look at, and entries held back (commits ahead of us, messages of a later epoch). */
  cursor: number;
  held: Uint8Array[];
  read: string[];
}

/**
 * Runs the story and returns what everybody saw.
 * @param print where log lines go (default: nowhere).
 */
export async function runSecretGroupExample(print: (line: string) => void = () => undefined): Promise<ExampleSummary> {
  const deps: MlsDeps = { ...defaultDeps(), mls: createMlsCiphersuite('MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519') };
  const log: string[] = [];
  const say = (line: string): void => { log.push(line); print(line); };
  const folder: Uint8Array[] = [];
  let registry: KeyPackageRegistry = createKeyPackageRegistry();
  let groupDoc: Uint8Array = new Uint8Array(0);

  const people = await Promise.all(['Olivia', 'Alice', 'Bob', 'Carol'].map(async (name): Promise<Person> => {
    const pool = await replenishKeyPackages(createMemberKeyStore(deps.crypto, deps.crypto.randomBytes(32)), deps);
    for (const out of pool.outputs) if (out.kind === 'key_package') folder.push(out.document);
    return { name, identity: pool.state, cursor: 0, held: [], read: [] };
  }));
  const [olivia, alice, bob, carol] = people as [Person, Person, Person, Person];
  const nameOf = (id: Uint8Array): string => people.find((p) => toHex(p.identity.publicKey) === toHex(id))?.name ?? toHex(id).slice(0, 8);
  const text = new TextDecoder();

  function publish(who: Person, step: SecretGroupStep): void {
    who.state = step.state;
    for (const out of step.outputs) {
      if (out.kind === 'publish') folder.push(out.bytes);
      if (out.kind === 'pending') say(`${who.name} sees pending: ${out.proposal.action} ${nameOf(out.proposal.subject)} (by ${nameOf(out.proposal.from)})`);
    }
  }

  async function act(who: Person, action: SecretGroupAction): Promise<void> {
    if (who.state === undefined) throw new Error(`${who.name} is not in the group`);
    publish(who, await actSecretGroup(who.state, action, deps));
  }

  /** Looks at every new folder entry: key packages for the registry, a commit with our Welcome, group documents. */
  async function sync(who: Person): Promise<void> {
    const fresh = folder.slice(who.cursor);
    who.cursor = folder.length;
    let pending = [...who.held, ...fresh];
    who.held = [];
    for (let progress = true; progress;) {
      progress = false;
      const later: Uint8Array[] = [];
      for (const doc of pending) {
        const kind = secretGroupDocumentKind(doc);
        if (kind === 'key_package') {
          try { registry = (await registerKeyPackage(registry, doc, deps)).state; } catch { /* expired or forged: ignore */ }
          continue;
        }
        if (kind !== 'commit' && kind !== 'proposal' && kind !== 'message') continue;
        if (who.state === undefined) {
          if (kind !== 'commit') { later.push(doc); continue; }
          try {
            const joined = await joinSecretGroup({ identity: who.identity, group: groupDoc, commit: doc }, deps);
            who.state = joined.state;
            who.identity = (await replenishKeyPackages(joined.identity, deps)).state;
            say(`${who.name} joined (epochs of long-term history: ${joined.state.secrets.length})`);
            progress = true;
          } catch { /* not our Welcome */ }
          continue;
        }
        if (kind === 'commit' && commitPosition(who.state, doc, deps) === 'later') { later.push(doc); continue; }
        const step = kind === 'message'
          ? await receiveSecretGroup(who.state, { kind: 'message', message: doc }, deps)
          : await receiveSecretGroup(who.state, { kind, document: doc }, deps);
        who.state = step.state;
        for (const out of step.outputs) {
          if (out.kind === 'delivered') { who.read.push(text.decode(out.plaintext)); progress = true; }
          if (out.kind === 'membership') {
            say(`${who.name}: +[${out.added.map(nameOf).join(', ')}] -[${out.removed.map(nameOf).join(', ')}]`);
            progress = true;
          }
          if (out.kind === 'removed') say(`${who.name} learns of the removal`);
          if (out.kind === 'owner') say(`${who.name}: the owner is now ${nameOf(out.owner)}`);
          if (out.kind === 'skipped' && out.retry) later.push(doc);
        }
        if (kind === 'commit') progress = true;
      }
      pending = later;
      if (!progress) who.held = later;
    }
  }
  const syncAll = async (): Promise<void> => { for (const p of people) await sync(p); };

  // Olivia creates the group (long-term secrets AES-128-GCM) and adds Alice and Bob from the registry
  const created = await createSecretGroup({ identity: olivia.identity, ltsCiphersuite: 0x01 }, deps);
  groupDoc = created.outputs[0].document;
  olivia.state = created.state;
  await sync(olivia);
  for (const member of [alice, bob]) {
    const taken = takeKeyPackage(registry, member.identity.publicKey, deps.now());
    registry = taken.state;
    await act(olivia, { kind: 'add', keyPackage: taken.document });
  }
  await act(olivia, { kind: 'send', plaintext: new TextEncoder().encode('wiki: welcome page (long-term)'), scheme: 'long_term' });
  await syncAll();
  await act(alice, { kind: 'send', plaintext: new TextEncoder().encode('chat: hi from Alice (sender ratchet)'), scheme: 'sender_ratchet' });
  await act(bob, { kind: 'send', plaintext: new TextEncoder().encode('wiki: Bob\'s notes (long-term)'), scheme: 'long_term' });
  await syncAll();

  // Alice asks for Carol and for Bob's removal: proposals; Olivia commits them when she syncs
  const carolPackage = takeKeyPackage(registry, carol.identity.publicKey, deps.now());
  registry = carolPackage.state;
  await act(alice, { kind: 'add', keyPackage: carolPackage.document });
  await act(alice, { kind: 'remove', member: bob.identity.publicKey });
  await syncAll();
  await act(olivia, { kind: 'commit' });
  await syncAll();
  await act(carol, { kind: 'send', plaintext: new TextEncoder().encode('wiki: Carol was here (long-term)'), scheme: 'long_term' });
  await syncAll();

  // Olivia hands the group to Alice, who removes her
  await act(olivia, { kind: 'handover', to: alice.identity.publicKey });
  await syncAll();
  await act(olivia, { kind: 'remove', member: olivia.identity.publicKey });
  await syncAll();
  await act(alice, { kind: 'commit' });
  await syncAll();
  await act(alice, { kind: 'send', plaintext: new TextEncoder().encode('chat: just Alice and Carol now'), scheme: 'sender_ratchet' });
  await syncAll();

  const summary: ExampleSummary['people'] = {};
  for (const p of people) {
    const view = p.state === undefined ? undefined : viewSecretGroup(p.state, deps);
    summary[p.name] = {
      read: p.read, members: (view?.members ?? []).map(nameOf), status: view?.status ?? 'never joined', owner: view === undefined ? '' : nameOf(view.owner),
    };
    say(`${p.name} (${summary[p.name]!.status}, owner ${summary[p.name]!.owner}): members [${summary[p.name]!.members.join(', ')}], read ${JSON.stringify(p.read)}`);
  }
  return { people: summary, log };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSecretGroupExample((line) => console.log(line));
}
