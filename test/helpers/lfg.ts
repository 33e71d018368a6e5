// Looking-for-group posts for tests: a valid POST /v1/lfg body, and a post stored straight in the
// repository for tests that run below the HTTP layer. Both start an hour from now.
import { ObjectId } from 'mongodb';
import type { LfgRepository, PostDocument } from '../../src/lfg/repository.ts';

const hour = 3_600_000;

export function validLfgPost(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { game: 'Rocket League', platform: 'pc', region: 'eu', languages: ['en'], competitive: true, slots: 3, startsAt: new Date(Date.now() + hour).toISOString(), ...overrides };
}

export async function storedLfgPost(repository: LfgRepository, slots: number): Promise<PostDocument> {
  const now = new Date();
  const startsAt = new Date(now.getTime() + hour);
  return repository.insert({ ownerKey: 'race_host', owner: 'race_host', ownerProfile: new ObjectId().toHexString(), game: 'Rocket League', platform: 'pc', region: 'eu', languages: ['en'], competitive: true, slots, startsAt, expiresAt: new Date(startsAt.getTime() + hour), createdAt: now });
}
