import { notFound } from '@foodflow/platform';
import type { ProfileCache } from './profile-cache.js';
import { toUserResponse, type UserResponse } from './user.mapper.js';
import type { UserPatch, UserRepository } from './user.repository.js';

/** The signed-in user's own profile. */
export class UserService {
  constructor(
    private readonly users: UserRepository,
    private readonly cache: ProfileCache,
  ) {}

  async getProfile(userId: string): Promise<UserResponse> {
    const cached = await this.cache.get(userId);
    if (cached.profile) return cached.profile;
    const user = await this.users.findById(userId);
    if (!user) throw notFound('User');
    const profile = toUserResponse(user);
    if (cached.generation !== undefined) await this.cache.set(profile, cached.generation);
    return profile;
  }

  async updateProfile(userId: string, patch: UserPatch): Promise<UserResponse> {
    const user = await this.users.update(userId, patch);
    if (!user) throw notFound('User');
    await this.cache.invalidate(userId);
    return toUserResponse(user);
  }
}
