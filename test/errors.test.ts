import { describe, expect, it } from 'vitest';
import { DecodeError, ERROR_CODES, ERROR_KINDS, errorKind, GroupCryptError, isGroupCryptError, StateError, StoreError } from '../src/index.js';

describe('error kinds', () => {
  it('classifies every code, and nothing else', () => {
    expect(Object.keys(ERROR_KINDS).sort()).toEqual([...ERROR_CODES].sort());
    for (const kind of Object.values(ERROR_KINDS)) expect(['permanent', 'transient']).toContain(kind);
  });

  it('says forged or malformed input is permanent and waiting is transient', () => {
    expect(errorKind(new DecodeError('DECODE_MALFORMED', 'x'))).toBe('permanent');
    expect(errorKind(new GroupCryptError('VERIFY_SIGNATURE', 'x'))).toBe('permanent');
    expect(errorKind(new StateError('STATE_OUT_OF_ORDER', 'x'))).toBe('transient');
    expect(errorKind(new StoreError('STORE_LOCKED', 'x'))).toBe('transient');
  });

  it('treats foreign errors as transient (they say nothing about the message)', () => {
    expect(errorKind(new TypeError('bug'))).toBe('transient');
    expect(errorKind('a string')).toBe('transient');
  });

  it('exports classes that work with instanceof and the code guard', () => {
    const error = new StateError('STATE_REMOVED', 'gone');
    expect(error).toBeInstanceOf(GroupCryptError);
    expect(error.name).toBe('StateError');
    expect(isGroupCryptError(error, 'STATE_REMOVED')).toBe(true);
    expect(isGroupCryptError(error, 'STATE_REPLAY')).toBe(false);
  });
});
