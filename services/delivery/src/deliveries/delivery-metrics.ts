import type { Metrics } from '@foodflow/platform';
import type { DeliveryRecord } from './delivery.repository.js';

const seconds = (from: Date, to: Date): number => Math.max(0, (to.getTime() - from.getTime()) / 1000);

/** The delivery flow as operators watch it: how fast drivers are found, how long deliveries take. */
export function createDeliveryMetrics(metrics: Metrics) {
  const completed = metrics.counter({ name: 'deliveries_completed_total', help: 'Deliveries handed to the customer' });
  const timeToAssign = metrics.histogram({
    name: 'delivery_time_to_assign_seconds',
    help: 'Time from an order being ready to its delivery having a driver',
    buckets: [0.05, 0.25, 1, 5, 15, 60, 300, 900, 1800, 3600],
  });
  const duration = metrics.histogram({
    name: 'delivery_duration_seconds',
    help: 'Time from assignment to delivery',
    buckets: [60, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200],
  });
  return {
    assigned(delivery: DeliveryRecord): void {
      if (delivery.assignedAt) timeToAssign.observe(seconds(delivery.createdAt, delivery.assignedAt));
    },
    delivered(delivery: DeliveryRecord): void {
      completed.inc();
      if (delivery.assignedAt && delivery.deliveredAt) {
        duration.observe(seconds(delivery.assignedAt, delivery.deliveredAt));
      }
    },
  };
}

export type DeliveryMetrics = ReturnType<typeof createDeliveryMetrics>;
