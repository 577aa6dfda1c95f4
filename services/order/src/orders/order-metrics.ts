import type { Metrics } from '@foodflow/platform';

export type OrderMetrics = ReturnType<typeof createOrderMetrics>;

export function createOrderMetrics(metrics: Metrics) {
  return {
    created: metrics.counter({ name: 'orders_created_total', help: 'Orders placed' }),
    value: metrics.histogram({
      name: 'order_value_cents',
      help: 'Total of each order placed, in cents',
      labelNames: ['currency'] as const,
      buckets: [500, 1000, 1500, 2000, 3000, 5000, 7500, 10_000, 20_000, 50_000],
    }),
    statusChanges: metrics.counter({
      name: 'order_status_changes_total',
      help: 'Order status changes, by the status reached and who made them',
      labelNames: ['status', 'by'] as const,
    }),
  };
}
