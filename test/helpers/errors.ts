/** The stable code of the error `f` throws, or undefined when it throws nothing. */
export function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

/** The code, message and error `f` throws; all absent when it throws nothing. */
export function errorOf(f: () => unknown): { readonly code?: string; readonly message?: string; readonly error?: unknown } {
  try {
    f();
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message, error };
  }
  return {};
}
