import type pg from 'pg';
import { type BackupManifest, rowCounts } from './backup.js';

/**
 * What must hold in a restored database before the services are let back onto it. Each check returns the
 * problems it found, worded for the operator; an empty list means the restore is sound.
 *
 * The relation between a consumer's inbox and a producer's outbox is not checked: a consumer may commit
 * an event before the relay marks it published, so an inbox mark beside an unpublished outbox row is a
 * moment the platform really passes through, not damage.
 */
export async function consistencyProblems(client: pg.Client, manifest: BackupManifest): Promise<string[]> {
  return [
    ...sameRowCounts(await rowCounts(client), manifest.rowCounts),
    ...(await ordersWithoutPayment(client)),
    ...(await sequencesBehind(client, manifest.schemas)),
    ...(await unpublishedEventsWithoutOrder(client)),
    ...(await copiesWithoutOrder(client)),
  ];
}

/** Every table of the backup is there, with as many rows as the snapshot it was taken from. */
function sameRowCounts(restored: Record<string, number>, backedUp: Record<string, number>): string[] {
  const tables = [...new Set([...Object.keys(restored), ...Object.keys(backedUp)])].sort();
  return tables.flatMap((table) =>
    restored[table] === backedUp[table]
      ? []
      : [`${table}: ${restored[table] ?? 'no table'} row(s) restored, ${backedUp[table] ?? 'no table'} backed up`],
  );
}

/** Checkout writes an order and its payment in one statement: one without the other is damage. */
async function ordersWithoutPayment(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT o.id FROM orders.orders o
     WHERE NOT EXISTS (SELECT 1 FROM orders.payments p WHERE p.order_id = o.id) ORDER BY o.id`,
  );
  return rows.map(({ id }) => `order ${id} has no payment`);
}

/**
 * An identity or serial column whose sequence is behind its highest value would hand out a number again:
 * the next outbox event would collide with, or sort before, one already there.
 */
async function sequencesBehind(client: pg.Client, schemas: string[]): Promise<string[]> {
  const { rows: columns } = await client.query<{ tbl: string; col: string; seq: string }>(
    `SELECT format('%I.%I', table_schema, table_name) AS tbl, quote_ident(column_name) AS col,
            pg_get_serial_sequence(format('%I.%I', table_schema, table_name), column_name) AS seq
     FROM information_schema.columns
     WHERE table_schema = ANY($1)
       AND pg_get_serial_sequence(format('%I.%I', table_schema, table_name), column_name) IS NOT NULL`,
    [schemas],
  );
  const problems: string[] = [];
  for (const { tbl, col, seq } of columns) {
    const { rows } = await client.query<{ highest: string | null; next: string }>(
      `SELECT (SELECT max(${col}) FROM ${tbl})::text AS highest,
              (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM ${seq})::text AS next`,
    );
    const { highest, next } = rows[0]!;
    if (highest !== null && BigInt(next) <= BigInt(highest)) {
      problems.push(`${seq} would hand out ${next} again, ${tbl}.${col} already holds ${highest}`);
    }
  }
  return problems;
}

/** An event still to be published announces an order written in the same transaction, so the order exists. */
async function unpublishedEventsWithoutOrder(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ id: string; type: string }>(
    `SELECT e.id, e.type FROM orders.outbox e
     WHERE e.published_at IS NULL AND e.type LIKE 'order.%'
       AND NOT EXISTS (SELECT 1 FROM orders.orders o WHERE o.id::text = e.payload->>'orderId')
     ORDER BY e.seq`,
  );
  return rows.map(({ id, type }) => `unpublished event ${id} (${type}) announces an order that is not there`);
}

/**
 * The delivery service copies an order from its events, which the order service sends only once the order
 * is committed, and orders are never deleted; all schemas come from one snapshot, so every copy has its order.
 */
async function copiesWithoutOrder(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT c.id FROM deliveries.orders c
     WHERE NOT EXISTS (SELECT 1 FROM orders.orders o WHERE o.id = c.id) ORDER BY c.id`,
  );
  return rows.map(({ id }) => `the delivery service holds order ${id}, which the order service does not`);
}
