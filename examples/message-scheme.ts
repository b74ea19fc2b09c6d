/**
 * Message Encryption, three members: Alice creates a group with Bob and
 * Carol, they chat; Alice removes Carol, and Carol cannot read what follows.
 * Messages travel as self-contained wire bundles over a toy in-memory
 * "network" and arrive in shuffled order. Run: `npx tsx examples/message-scheme.ts`
 */
import { defaultDeps, toHex, utf8 } from 'groupcrypt/crypto';
import {
  createGroup, encodeWireBundle, groupMembers, joinGroup, openWireBundle, receive, removeMember, send,
} from 'groupcrypt/group';
import type { GroupResult, GroupState } from 'groupcrypt/group';
import { createKeyManager, createKeyRegistry, identityOf, longTermBundle, registerBundle } from 'groupcrypt/keys';
import type { KeyManagerState, KeyRegistryState } from 'groupcrypt/keys';

const deps = defaultDeps();
const text = new TextDecoder();

interface Person { name: string; id: string; keys: KeyManagerState; registry: KeyRegistryState; state?: GroupState; inbox: Uint8Array[]; read: string[] }

const people: Person[] = ['Alice', 'Bob', 'Carol'].map((name) => {
  const keys = createKeyManager(deps);
  return { name, id: toHex(identityOf(keys).publicKey), keys, registry: createKeyRegistry(), inbox: [], read: [] };
});
const [alice, bob, carol] = people as [Person, Person, Person];
// Everybody publishes a key bundle; everybody knows everybody's bundle.
for (const p of people) for (const q of people) if (p !== q) p.registry = registerBundle(p.registry, longTermBundle(q.keys), deps);

const ctx = (p: Person) => ({ deps, keys: p.keys, registry: p.registry });

/** Commits a result and "sends" every outgoing message to everybody else. */
function apply(p: Person, r: GroupResult): void {
  p.state = r.state;
  p.keys = r.keys;
  p.registry = r.registry;
  for (const out of r.outputs) {
    if (out.kind === 'send') for (const q of people) if (q !== p) q.inbox.push(encodeWireBundle(out.message));
    if (out.kind === 'application') p.read.push(text.decode(out.plaintext));
    if (out.kind === 'application') console.log(`  ${p.name} reads "${text.decode(out.plaintext)}" from ${people.find((q) => q.id === out.sender)?.name}`);
    if (out.kind === 'removed') console.log(`  ${p.name} learns it was removed`);
  }
}

/** Delivers every inbox in reverse arrival order (the Group API reorders control messages itself). */
function deliverAll(): void {
  for (let round = 0; round < 50 && people.some((p) => p.inbox.length > 0); round++) {
    for (const p of people) {
      const batch = p.inbox.reverse();
      p.inbox = [];
      for (const bundle of batch) {
        const incoming = openWireBundle(bundle, p.id);
        try {
          apply(p, p.state ? receive(p.state, ctx(p), incoming) : joinGroup(ctx(p), { scheme: 'message', message: incoming }));
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (!p.state && code === 'STATE_NOT_MEMBER') p.inbox.push(bundle); // not my welcome yet: keep for later
          else console.log(`  ${p.name} rejects a message: ${code}`);
        }
      }
    }
  }
}

console.log('1. Alice creates a group with Bob and Carol');
apply(alice, createGroup(ctx(alice), { scheme: 'message', members: [bob.id, carol.id] }));
deliverAll();
console.log(`   members: ${groupMembers(alice.state!).map((id) => people.find((p) => p.id === id)?.name).join(', ')}`);

console.log('2. Everybody says hello');
for (const p of people) apply(p, send(p.state!, ctx(p), { plaintext: utf8(`hello from ${p.name}`) }));
deliverAll();

console.log('3. Alice removes Carol, then sends a secret');
apply(alice, removeMember(alice.state!, ctx(alice), carol.id));
deliverAll();
apply(alice, send(alice.state!, ctx(alice), { plaintext: utf8('the secret plan') }));
deliverAll();

const ok = bob.read.includes('the secret plan') && !carol.read.includes('the secret plan') && carol.read.includes('hello from Bob');
console.log(ok ? 'OK: Bob read the secret, Carol did not.' : 'FAILED');
process.exitCode = ok ? 0 : 1;
