/**
 * The Secret Group persists through the same stores as the rest of
 * groupcrypt: an owner's commit and a member's processing are each one
 * atomic store transaction (state + outgoing document + processed id), and a
 * reopened SQLite store resumes both (issue 7: "the same stores").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bytesEqual, toHex } from '../../src/crypto/index.js';
import {
  commitSecretGroup, decodeSecretGroupState, decryptLongTerm, encodeSecretGroupState, encryptLongTerm, processCommit,
} from '../../src/mls/index.js';
import { SqliteStore } from '../../src/store/index.js';
import { nodeDeps, smallGroup, text } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('Secret Group state in a SqliteStore', () => {
  it('commits owner and member transitions atomically and resumes after reopening', async () => {
    const deps = nodeDeps();
    const dir = mkdtempSync(join(tmpdir(), 'gc-mls-store-'));
    dirs.push(dir);
    const { owner, alice } = await smallGroup(deps);

    // Owner rotates and commits: new state and the commit document in one transaction.
    const rotated = await commitSecretGroup(owner, { rotate: true }, deps);
    const commitDoc = rotated.outputs[0].document;
    const ownerStore = await SqliteStore.open(join(dir, 'owner.db'));
    await ownerStore.commit({
      states: { 'mls:owner': encodeSecretGroupState(rotated.state) },
      outbox: [{ id: toHex(deps.crypto.sha256(commitDoc)), topic: 'mls-commit', bytes: commitDoc }],
    });
    await ownerStore.close();

    // Alice processes it: her state and the processed commit id in one transaction.
    const aliceStore = await SqliteStore.open(join(dir, 'alice.db'));
    const commitId = toHex(deps.crypto.sha256(commitDoc));
    const processed = await processCommit(alice, commitDoc, deps);
    const first = await aliceStore.commit({ states: { 'mls:alice': encodeSecretGroupState(processed.state) }, processed: [commitId] });
    expect(first.applied).toBe(true);
    // Re-delivering the same commit is a no-op for the store (idempotence).
    const again = await aliceStore.commit({ states: { 'mls:alice': encodeSecretGroupState(alice) }, processed: [commitId] });
    expect(again.applied).toBe(false);
    await aliceStore.close();

    // Reopen both and keep working: the owner encrypts with the rotated secret, Alice decrypts.
    const ownerReopened = await SqliteStore.open(join(dir, 'owner.db'));
    const aliceReopened = await SqliteStore.open(join(dir, 'alice.db'));
    const ownerState = decodeSecretGroupState((await ownerReopened.load('mls:owner'))!);
    const aliceState = decodeSecretGroupState((await aliceReopened.load('mls:alice'))!);
    expect((await ownerReopened.outbox()).map((e) => e.topic)).toEqual(['mls-commit']);
    expect(await aliceReopened.isProcessed(commitId)).toBe(true);
    const sealed = await encryptLongTerm(ownerState, text('after reopening'), deps);
    const opened = decryptLongTerm(aliceState, sealed.outputs[0].message, deps);
    expect(bytesEqual(opened.plaintext, text('after reopening'))).toBe(true);
    await ownerReopened.close();
    await aliceReopened.close();
  });
});
