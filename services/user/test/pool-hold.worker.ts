/**
 * A task for the password-hashing pool that keeps its thread until the test stores 1 in `flag`, so a
 * test decides exactly when every hashing thread is taken and when it is given back.
 */
export default function hold(flag: SharedArrayBuffer): void {
  Atomics.wait(new Int32Array(flag), 0, 0);
}
