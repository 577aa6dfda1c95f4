import type { Role } from '@foodflow/platform';
import type { UserRecord } from './user.repository.js';

/** The contract's `user`: what a client may see of an account (never its password hash). */
export interface UserResponse {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  phone: string | null;
  role: Role;
  createdAt: string;
}

export const toUserResponse = (user: UserRecord): UserResponse => ({
  id: user.id,
  email: user.email,
  firstName: user.firstName,
  lastName: user.lastName,
  phone: user.phone,
  role: user.role,
  createdAt: user.createdAt.toISOString(),
});
