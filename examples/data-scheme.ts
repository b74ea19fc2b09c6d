/**
 * Data Encryption, three members: Alice and Bob write documents to a shared
 * group; Carol joins later and reads the whole history (the welcome carries
 * the group secrets); Bob deletes old secrets for forward secrecy and can no
 * longer read old documents. Run: `npx tsx examples/data-scheme.ts`
 */
import { defaultDeps, toHex, utf8 } from 'groupcrypt/crypto';
import {
  addMember, createGroup, deleteGroupSecrets, encodeWireBundle, groupSecrets, joinGroup, openWireBundle, receive, send, updateGroup,
} from 'groupcrypt/group';
import type { GroupResult, GroupState } from 'groupcrypt/group';
import { createKeyManager, createKeyRegistry, identityOf, longTermBundle, registerBundle } from 'groupcrypt/keys';
import type { KeyManagerState, KeyRegistryState } from 'groupcrypt/keys';

let clock = 1_700_000_000;
const deps = { ...defaultDeps(), now: () => clock };
const text = new TextDecoder();

interface Person { name: string; id: string; keys: KeyManagerState; registry: KeyRegistryState; state?: GroupState; inbox: Uint8Array[]; read: string[] }

const people: Person[] = ['Alice', 'Bob', 'Carol'].map((name) => {
  const keys = createKeyManager(deps);
  return { name, id: toHex(identityOf(keys).publicKey), keys, registry: createKeyRegistry(), inbox: [], read: [] };
});
const [alice, bob, carol] = people as [Person, Person, Person];
for (const p of people) for (const q of people) if (p !== q) p.registry = registerBundle(p.registry, longTermBundle(q.keys), deps);

const ctx = (p: Person) => ({ deps, keys: p.keys, registry: p.registry });
/** Every document ever published (a shared folder), replayable by late joiners. */
const documents: Uint8Array[] = [];
const DOC_AD = utf8('wiki-page');

function apply(p: Person, r: GroupResult): void {
  p.state = r.state;
  p.keys = r.keys;
  p.registry = r.registry;
  for (const out of r.outputs) {
    if (out.kind === 'send') {
      const bundle = encodeWireBundle(out.message);
      if (!out.message.control) documents.push(bundle);
      for (const q of people) if (q !== p) q.inbox.push(bundle);
    }
    if (out.kind === 'application') {
      p.read.push(text.decode(out.plaintext));
      console.log(`  ${p.name} reads "${text.decode(out.plaintext)}" by ${people.find((q) => q.id === out.sender)?.name}`);
    }
  }
}

function deliverAll(): void {
  for (let round = 0; round < 50 && people.some((p) => p.inbox.length > 0); round++) {
    for (const p of people) {
      const batch = p.inbox;
      p.inbox = [];
      for (const bundle of batch) {
        const isDocument = documents.includes(bundle);
        const incoming = openWireBundle(bundle, p.id, isDocument ? DOC_AD : undefined);
        try {
          apply(p, p.state ? receive(p.state, ctx(p), incoming) : joinGroup(ctx(p), { scheme: 'data', message: incoming }));
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (!p.state) p.inbox.push(bundle); // not a member yet: keep for after the welcome
          else if (code !== 'STATE_REPLAY') console.log(`  ${p.name} cannot read a message: ${code}`);
        }
      }
    }
  }
}

console.log('1. Alice creates a group with Bob; both write documents');
apply(alice, createGroup(ctx(alice), { scheme: 'data', members: [bob.id] }));
deliverAll();
apply(alice, send(alice.state!, ctx(alice), { plaintext: utf8('page 1 by Alice'), ad: DOC_AD }));
apply(bob, send(bob.state!, ctx(bob), { plaintext: utf8('page 2 by Bob'), ad: DOC_AD }));
deliverAll();

console.log('2. One day later Bob rotates the secrets; Alice adds Carol, who reads the history');
clock += 86_400;
apply(bob, updateGroup(bob.state!, ctx(bob)));
deliverAll();
apply(alice, addMember(alice.state!, ctx(alice), carol.id));
deliverAll();
carol.inbox.push(...documents); // Carol syncs the shared folder
deliverAll();

console.log('3. Bob deletes secrets older than half a day; old pages become unreadable for him');
const before = groupSecrets(bob.state!).length;
const pruned = deleteGroupSecrets(bob.state!, { olderThan: clock - 43_200 });
bob.state = pruned.state;
console.log(`  Bob held ${before} group secrets, now ${groupSecrets(bob.state).length}`);
let oldUnreadable = false;
try {
  receive(bob.state, ctx(bob), openWireBundle(documents[0]!, bob.id, DOC_AD));
} catch (error) {
  oldUnreadable = (error as { code?: string }).code === 'STATE_MISSING_SECRET';
  console.log(`  Bob re-reading page 1: ${(error as { code?: string }).code}`);
}

const ok = carol.read.includes('page 1 by Alice') && carol.read.includes('page 2 by Bob') && oldUnreadable;
console.log(ok ? 'OK: Carol read the history; Bob cannot read what he deleted.' : 'FAILED');
process.exitCode = ok ? 0 : 1;
