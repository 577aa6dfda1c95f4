import pg from 'pg';
import type { SeedContext } from '../../scripts/seed.js';
import { addressFieldContext } from '../../services/user/src/addresses/address.repository.js';
import { loadSecretsConfig } from '../../services/user/src/config.js';
import { FieldCipher } from '../../services/user/src/security/field-cipher.js';
import { PasswordHasher } from '../../services/user/src/security/password-hasher.js';
import { DEMO_ACCOUNTS, OTHER_OWNERS } from './demo-accounts.js';

/** The demo customer's saved address, a short walk from the demo city centre (New York City Hall). */
const DEMO_ADDRESS = {
  id: '5d1c2b3a-4e5f-4a6b-9c7d-8e9f0a1b2c3d',
  userId: DEMO_ACCOUNTS.customer.id,
  label: 'Home',
  street: '253 Broadway',
  city: 'New York',
  postalCode: '10007',
  location: { lat: 40.7131, lng: -74.0072 },
};

/**
 * Demo accounts (one per role, plus the other restaurant owners) with their fixed ids, and one saved
 * address for the demo customer. Existing rows are left alone, so running it again changes nothing.
 */
export async function seed(ctx: SeedContext): Promise<void> {
  const secrets = loadSecretsConfig(ctx.env);
  const cipher = new FieldCipher(secrets.dataKeys);
  const hasher = new PasswordHasher(secrets.passwords);
  const client = new pg.Client({ connectionString: ctx.urlFor('users_service'), application_name: 'foodflow-seed' });
  await client.connect();
  try {
    const accounts = [...Object.values(DEMO_ACCOUNTS), ...OTHER_OWNERS];
    const { rows: present } = await client.query<{ id: string }>('SELECT id FROM users WHERE id = ANY($1)', [
      accounts.map((a) => a.id),
    ]);
    const missing = accounts.filter((a) => !present.some((p) => p.id === a.id));
    const hashes = await Promise.all(missing.map((a) => hasher.hash(a.password)));
    let created = 0;
    for (const [i, account] of missing.entries()) {
      const { rowCount } = await client.query(
        `INSERT INTO users (id, email, password_hash, first_name, last_name, role)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO NOTHING`,
        [account.id, account.email.toLowerCase(), hashes[i], account.firstName, account.lastName, account.role],
      );
      created += rowCount ?? 0;
    }

    const a = DEMO_ADDRESS;
    // Default only if the customer has no address yet (one may have been added through the app).
    const { rowCount: addresses } = await client.query(
      `INSERT INTO addresses (id, user_id, label, street_encrypted, city, postal_code_encrypted, location_encrypted, is_default)
       SELECT $1, $2, $3, $4, $5, $6, $7, NOT EXISTS (SELECT 1 FROM addresses WHERE user_id = $2)
       ON CONFLICT DO NOTHING`,
      [
        a.id,
        a.userId,
        a.label,
        cipher.encrypt(a.street, addressFieldContext('street_encrypted', a.userId)),
        a.city,
        cipher.encrypt(a.postalCode, addressFieldContext('postal_code_encrypted', a.userId)),
        cipher.encrypt(JSON.stringify(a.location), addressFieldContext('location_encrypted', a.userId)),
      ],
    );
    ctx.log(`users: ${created} demo account(s) and ${addresses ?? 0} address(es) created`);
  } finally {
    await client.end();
    await hasher.destroy();
  }
}
