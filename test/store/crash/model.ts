/**
 * The application the crash test drives, behind a small interface so the
 * deterministic fake below can later be swapped for the real Group API.
 *
 * The fake is "group-like": each incoming message is consumed exactly once
 * (a hash chain over the message ids proves it), a one-time secret is
 * consumed per message (kept in a second blob, `keys`, so a torn write across
 * blobs shows), every 8 messages a new epoch key is derived, and every
 * message produces an outbox ciphertext under the current epoch key.
 */
import type { CryptoProvider } from '../../../src/crypto/index.js';
import { asRecord, concatBytes, decodeCanonical, encodeCanonical, readArray, readBytes, readUint, utf8 } from '../../../src/crypto/index.js';
import type { OutboxEntry, OutboxMessage } from '../../../src/store/index.js';

/** What the crash harness needs from an application. */
export interface CrashModel<S> {
  /** Names of the state blobs the model writes on every step. */
  readonly stateNames: readonly string[];
  /** The state before any message. */
  initial(): S;
  /** The blobs that persist a state. */
  encode(state: S): Readonly<Record<string, Uint8Array>>;
  /** Rebuilds a state from its blobs; throws when they are inconsistent (torn). */
  decode(blobs: Readonly<Record<string, Uint8Array>>): S;
  /** How many incoming messages the state has applied. */
  applied(state: S): number;
  /** Id of the k-th incoming message (1-based). */
  messageId(k: number): string;
  /** Applies incoming message k (pure): the next state, its outbox messages, the secrets it dropped. */
  process(state: S, k: number): { readonly state: S; readonly outbox: readonly OutboxMessage[]; readonly consumed: readonly Uint8Array[] };
  /** Decrypts an outbox message with a state; throws when it cannot. */
  read(state: S, entry: OutboxEntry): Uint8Array;
  /** Throws unless the state is internally consistent (e.g. each message applied once, in order). */
  verify(state: S): void;
}

/** State of the fake group. */
export interface FakeState {
  readonly k: number;
  readonly chain: Uint8Array;
  readonly epochKeys: readonly Uint8Array[];
  readonly oneTime: Uint8Array;
}

const EPOCH_LENGTH = 8;
const GROUP = 'group:fake';
const KEYS = 'keys';

/** The deterministic fake group model on a crypto provider. */
export function fakeGroupModel(crypto: CryptoProvider): CrashModel<FakeState> {
  const hash = (...parts: Uint8Array[]): Uint8Array => crypto.sha256(concatBytes(...parts));
  const number = (k: number): Uint8Array => utf8(String(k));
  const messageId = (k: number): string => `in-${k}`;
  const oneTimeFor = (k: number): Uint8Array => hash(utf8('one-time'), number(k));
  const chainAfter = (k: number): Uint8Array => {
    let chain: Uint8Array = new Uint8Array(32);
    for (let j = 1; j <= k; j += 1) chain = hash(chain, utf8(messageId(j)));
    return chain;
  };

  return {
    stateNames: [GROUP, KEYS],
    initial: () => ({ k: 0, chain: new Uint8Array(32), epochKeys: [hash(utf8('epoch-0'))], oneTime: oneTimeFor(1) }),
    encode: (state) => ({
      [GROUP]: encodeCanonical({ v: 1, k: state.k, chain: state.chain, epochKeys: state.epochKeys }),
      [KEYS]: encodeCanonical({ v: 1, k: state.k, oneTime: state.oneTime }),
    }),
    decode: (blobs) => {
      const group = asRecord(decodeCanonical(blobs[GROUP] ?? new Uint8Array(0), GROUP), GROUP, ['v', 'k', 'chain', 'epochKeys']);
      const keys = asRecord(decodeCanonical(blobs[KEYS] ?? new Uint8Array(0), KEYS), KEYS, ['v', 'k', 'oneTime']);
      const k = readUint(group, 'k', GROUP);
      if (readUint(keys, 'k', KEYS) !== k) throw new Error(`torn state: ${GROUP} at ${k}, ${KEYS} at ${String(keys['k'])}`);
      const epochKeys = readArray(group, 'epochKeys', GROUP).map((key) => {
        if (!(key instanceof Uint8Array) || key.length !== 32) throw new Error('bad epoch key');
        return key;
      });
      return { k, chain: readBytes(group, 'chain', GROUP, 32), epochKeys, oneTime: readBytes(keys, 'oneTime', KEYS, 32) };
    },
    applied: (state) => state.k,
    messageId,
    process: (state, k) => {
      if (k !== state.k + 1) throw new Error(`fake model: message ${k} out of order at ${state.k}`);
      const chain = hash(state.chain, utf8(messageId(k)));
      const epochKeys = k % EPOCH_LENGTH === 0 ? [...state.epochKeys, hash(utf8('epoch'), chain)] : state.epochKeys;
      const epoch = epochKeys.length - 1;
      const key = epochKeys[epoch] ?? new Uint8Array(32);
      const nonce = hash(utf8('nonce'), number(k)).subarray(0, 12);
      const plaintext = concatBytes(number(k), utf8(':'), chain);
      const ciphertext = crypto.aeadSeal('chacha20-poly1305', key, nonce, plaintext, utf8(`out-${k}`));
      const bytes = encodeCanonical({ e: epoch, n: nonce, c: ciphertext });
      const next: FakeState = { k, chain, epochKeys, oneTime: oneTimeFor(k + 1) };
      return { state: next, outbox: [{ id: `out-${k}`, topic: 'fake', bytes }], consumed: [state.oneTime] };
    },
    read: (state, entry) => {
      const record = asRecord(decodeCanonical(entry.bytes, entry.id), entry.id, ['e', 'n', 'c']);
      const key = state.epochKeys[readUint(record, 'e', entry.id)];
      if (key === undefined) throw new Error(`${entry.id}: epoch key missing`);
      return crypto.aeadOpen('chacha20-poly1305', key, readBytes(record, 'n', entry.id, 12), readBytes(record, 'c', entry.id), utf8(entry.id));
    },
    verify: (state) => {
      const expected = chainAfter(state.k);
      if (!expected.every((value, index) => value === state.chain[index])) throw new Error(`chain at ${state.k} is not the chain of messages 1..${state.k} applied once each`);
      if (state.epochKeys.length !== Math.floor(state.k / EPOCH_LENGTH) + 1) throw new Error('epoch key count wrong');
      if (!oneTimeFor(state.k + 1).every((value, index) => value === state.oneTime[index])) throw new Error('one-time secret not advanced');
    },
  };
}
