import bcryptjs from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { PasswordHasher } from '../src/security/password-hasher.js';

/**
 * The pool hashes with the native bcrypt binding; every account made before it was hashed with bcryptjs
 * (`$2b$`; `$2a$` by its versions before 3, the same algorithm under the older name), so each must open
 * the other's hashes.
 */
const hasher = new PasswordHasher({ cost: 10, threads: 2, maxQueue: 20 });
afterAll(() => hasher.destroy());

const passwords = ['correct-horse-battery', 'pässwörd mit Ümläuten ✓', 'a'.repeat(72)];

describe('hashes made by bcryptjs and by the pool', () => {
  it.each(['a', 'b'] as const)(
    'when bcryptjs made a hash of version 2%s, then the pool opens it with its password only',
    async (minor) => {
      for (const password of passwords) {
        const hash = bcryptjs.hashSync(password, bcryptjs.genSaltSync(10).replace('$2b$', `$2${minor}$`));
        expect(hash.startsWith(`$2${minor}$10$`)).toBe(true);
        expect(await hasher.verify(password, hash)).toBe(true);
        expect(await hasher.verify(`${password.slice(0, 71)}!`, hash)).toBe(false);
      }
    },
  );

  it('when the pool made a hash, then bcryptjs opens it with its password only', async () => {
    for (const password of passwords) {
      const hash = await hasher.hash(password);
      expect(hash).toMatch(/^\$2b\$10\$[./A-Za-z0-9]{53}$/);
      expect(bcryptjs.compareSync(password, hash)).toBe(true);
      expect(bcryptjs.compareSync(`${password.slice(0, 71)}!`, hash)).toBe(false);
    }
  });
});
