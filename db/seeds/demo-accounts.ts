import type { Role } from '@foodflow/platform';

/**
 * The demo accounts `npm start` seeds, one per role (documented in the README). Their ids are fixed so
 * other services' demo data (restaurants, their owner) can refer to them.
 */
export interface DemoAccount {
  id: string;
  email: string;
  password: string;
  firstName: string;
  lastName: string;
  role: Role;
}

export const DEMO_ACCOUNTS = {
  customer: {
    id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    email: 'customer@foodflow.local',
    password: 'Customer123!',
    firstName: 'Casey',
    lastName: 'Customer',
    role: 'customer',
  },
  owner: {
    id: '9b2f4c1e-3a6d-4e8b-8f0a-1c2d3e4f5a6b',
    email: 'owner@foodflow.local',
    password: 'Owner123!',
    firstName: 'Olivia',
    lastName: 'Owner',
    role: 'restaurant_owner',
  },
  driver: {
    id: '4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8',
    email: 'driver@foodflow.local',
    password: 'Driver123!',
    firstName: 'Dan',
    lastName: 'Driver',
    role: 'driver',
  },
  admin: {
    id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    email: 'admin@foodflow.local',
    password: 'Admin123!',
    firstName: 'Ada',
    lastName: 'Admin',
    role: 'admin',
  },
} satisfies Record<string, DemoAccount>;

/** Further restaurant owners, so the demo has restaurants the demo owner may not edit. */
export const OTHER_OWNERS: DemoAccount[] = [
  {
    id: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e',
    email: 'marco@foodflow.local',
    password: 'Owner123!',
    firstName: 'Marco',
    lastName: 'Rossi',
    role: 'restaurant_owner',
  },
  {
    id: 'c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f',
    email: 'mei@foodflow.local',
    password: 'Owner123!',
    firstName: 'Mei',
    lastName: 'Chen',
    role: 'restaurant_owner',
  },
];
