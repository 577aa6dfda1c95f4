import type { DeliveryRecord } from './delivery.repository.js';

/** The contract's `delivery`: what a driver or an admin sees. */
export function toDeliveryResponse(d: DeliveryRecord) {
  return {
    id: d.id,
    orderId: d.orderId,
    driverId: d.driverId,
    status: d.status,
    pickup: d.pickup,
    dropoff: d.dropoff,
    assignedAt: d.assignedAt?.toISOString() ?? null,
    pickedUpAt: d.pickedUpAt?.toISOString() ?? null,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    lastLocation: d.lastLocation && {
      lat: d.lastLocation.lat,
      lng: d.lastLocation.lng,
      at: d.lastLocation.at.toISOString(),
    },
  };
}

export type DeliveryResponse = ReturnType<typeof toDeliveryResponse>;
