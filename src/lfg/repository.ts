// MongoDB access for looking-for-group posts. Posts live in lfgPosts; who holds which slot lives in
// lfgClaims, as documents with unique _ids, so that exactly one joiner gets each slot on any server (a
// filtered findAndModify is not atomic on FerretDB's SQLite backend). Queries are built only from
// validated scalars and always filter by time: a post past its expiresAt is never returned, whether or
// not anything has removed it yet.
import { randomUUID } from 'node:crypto';
import { MongoServerError, ObjectId, type Collection, type Db, type Document, type Filter } from 'mongodb';
import { Claims } from '../db/claims.ts';
import { createMissingIndexes, type NamedIndex } from '../db/indexes.ts';
import { normaliseKey } from '../players/keys.ts';
import { playerCollection, type PlayerDocument, type RepositoryOptions } from '../players/repository.ts';
import type { LfgInput } from './schema.ts';

export interface PostDocument {
  /** 24 hexadecimal digits (an ObjectId's), the post's id in URLs. */
  _id: string;
  /** The owner's normalised nick; `owner` is the nick as the owner spells it. */
  ownerKey: string;
  owner: string;
  /**
   * The owner's profile (hex of players.incarnation): a later profile with the same nick owns nothing
   * here. Absent on posts published before it was recorded: those belong to whoever has the nick.
   */
  ownerProfile?: string;
  game: string;
  gameKey: string;
  platform: LfgInput['platform'];
  region: LfgInput['region'];
  languages: string[];
  competitive: boolean;
  rank?: string;
  slots: number;
  startsAt: Date;
  expiresAt: Date;
  note?: string;
  createdAt: Date;
  /** startsAt (ISO 8601, which sorts as it reads) and _id: "soonest first" as one keyset range. */
  order: string;
}

/**
 * A seat (`<post>:seat:<slot index>`) is a slot taken by a member; a membership
 * (`<post>:member:<nick>`) makes sure a player holds at most one seat of a post.
 */
export interface ClaimDocument {
  _id: string;
  /** `release`: held while one remover deletes the claim named in its _id (see db/claims.ts). */
  kind: 'seat' | 'membership' | 'release';
  postId: string;
  memberKey: string;
  /** The member's nick as they spell it. */
  member: string;
  /** The member's profile, as PostDocument.ownerProfile is the owner's. */
  memberProfile?: string;
  slot?: number;
  /**
   * Random per join, shared by its seat and membership, so that removing them removes only these, never
   * those of a later join of the same member (times can be equal). Absent on claims made before it existed.
   */
  owner?: string;
  at: Date;
  /** The post's: the claim is worthless after it. */
  expiresAt: Date;
}

export interface SearchCriteria {
  readonly gameKey?: string | undefined;
  readonly platform?: LfgInput['platform'] | undefined;
  readonly region?: LfgInput['region'] | undefined;
  readonly language?: string | undefined;
  readonly competitive?: boolean | undefined;
  /** Exclusive lower bound on `order`: the page before ended there. */
  readonly after?: string | undefined;
  readonly now: Date;
  /** No post lasts longer: every post that starts before now minus this has expired. */
  readonly maxDurationMs: number;
  readonly limit: number;
}

/** The seat taken, or why none: `closed` when the post was closed meanwhile (the seat is given up again). */
export type JoinOutcome = ClaimDocument | 'full' | 'member' | 'closed';

/** Who joins: normalised nick, nick as spelt, profile. */
export interface Joiner {
  readonly key: string;
  readonly nick: string;
  readonly profile: string;
}

/** MongoDB's NotImplemented: FerretDB 1.24 answers it to an index with expireAfterSeconds. */
const notImplemented = 238;

const postIndexes: NamedIndex[] = [
  { key: { gameKey: 1, order: 1 }, name: 'game_order' },
  { key: { order: 1 }, name: 'order' },
  { key: { ownerKey: 1 }, name: 'owner' },
];
const claimIndexes: NamedIndex[] = [
  { key: { postId: 1 }, name: 'post' },
  { key: { memberKey: 1 }, name: 'member' },
];
const expiryIndex: NamedIndex = { key: { expiresAt: 1 }, name: 'expiry', expireAfterSeconds: 0 };

export class LfgRepository {
  readonly #posts: Collection<PostDocument>;
  readonly #claims: Collection<ClaimDocument>;
  readonly #claimed: Claims<ClaimDocument>;
  readonly #players: Collection<PlayerDocument>;
  /** maxTimeMS of every query (see RepositoryOptions); writes here touch documents by _id or an index. */
  readonly #limit: { readonly maxTimeMS: number };
  /** Without TTL indexes (FerretDB), expired documents are deleted whenever a post is published. */
  #sweepOnInsert = false;

  constructor(db: Db, options: RepositoryOptions) {
    this.#limit = { maxTimeMS: options.operationTimeoutMs };
    this.#posts = db.collection<PostDocument>('lfgPosts');
    this.#claims = db.collection<ClaimDocument>('lfgClaims');
    this.#claimed = new Claims(this.#claims, options.operationTimeoutMs, { kind: 'release' });
    this.#players = playerCollection(db);
  }

  async ensureIndexes(): Promise<string[]> {
    const created = [...(await createMissingIndexes(this.#posts, postIndexes)), ...(await createMissingIndexes(this.#claims, claimIndexes))];
    // A server that refused TTL indexes once (FerretDB) is not asked again at every check.
    if (this.#sweepOnInsert) return created;
    const posts = await this.#createExpiryIndex(this.#posts);
    const claims = posts === undefined ? undefined : await this.#createExpiryIndex(this.#claims);
    this.#sweepOnInsert = claims === undefined;
    return [...created, ...(posts ?? []), ...(claims ?? [])];
  }

  async insert(post: Omit<PostDocument, '_id' | 'gameKey' | 'order'>): Promise<PostDocument> {
    const id = new ObjectId().toHexString();
    const document: PostDocument = { _id: id, ...post, gameKey: normaliseKey(post.game), order: `${post.startsAt.toISOString()}|${id}` };
    await this.#posts.insertOne(document);
    if (this.#sweepOnInsert) await this.#deleteExpired(post.createdAt);
    return document;
  }

  /** The post, expired or not (joining an expired post is a different error from joining none). */
  async find(id: string): Promise<PostDocument | undefined> {
    return (await this.#posts.findOne({ _id: id }, this.#limit)) ?? undefined;
  }

  /** How many unexpired posts the owner's profile has (those recorded without a profile count for its nick). */
  async openPostsOf(ownerKey: string, ownerProfile: string, now: Date): Promise<number> {
    return this.#posts.countDocuments({ ...postsOfProfile(ownerKey, ownerProfile), expiresAt: { $gt: now } }, this.#limit);
  }

  /** Unexpired posts soonest first; one extra is read to know whether another page exists. */
  async search(criteria: SearchCriteria): Promise<{ posts: PostDocument[]; more: boolean }> {
    const posts = await this.#posts.find(searchFilter(criteria), this.#limit).sort({ order: 1 }).limit(criteria.limit + 1).toArray();
    return { posts: posts.slice(0, criteria.limit), more: posts.length > criteria.limit };
  }

  /** The seats of these posts, in slot order. */
  async seats(postIds: readonly string[]): Promise<ClaimDocument[]> {
    if (postIds.length === 0) return [];
    return this.#claims.find({ postId: { $in: [...postIds] }, kind: 'seat' }, this.#limit).sort({ _id: 1 }).toArray();
  }

  /** Contact details by normalised nick, with the profile they belong to, for players who have one. */
  async contacts(nickKeys: readonly string[]): Promise<Map<string, { profile: string; contact: string }>> {
    if (nickKeys.length === 0) return new Map();
    const players = await this.#players.find({ _id: { $in: [...new Set(nickKeys)] } }, { projection: { contact: 1, incarnation: 1 }, ...this.#limit }).toArray();
    return new Map(players.flatMap((player) => (player.contact === undefined ? [] : [[player._id, { profile: player.incarnation.toHexString(), contact: player.contact }] as const])));
  }

  /**
   * Takes a free slot of `post` for the member. The membership claim turns away a second join of the
   * same player; then each free slot is tried in order, and the unique _id of its seat lets exactly one
   * concurrent joiner have it, so no more players join than there are slots. A close that raced the join
   * may have removed the post's seats before this one was taken: the post is read again afterwards, and
   * the seat given up if the post is gone.
   */
  async join(post: PostDocument, joiner: Joiner, now: Date): Promise<JoinOutcome> {
    const claim = { postId: post._id, memberKey: joiner.key, member: joiner.nick, memberProfile: joiner.profile, owner: randomUUID(), at: now, expiresAt: post.expiresAt };
    const membership: ClaimDocument = { ...claim, _id: membershipId(post._id, joiner.key), kind: 'membership' };
    if (!(await this.#claimMembership(membership, joiner.profile))) return 'member';
    let seat: ClaimDocument | undefined;
    try {
      seat = await this.#takeFreeSeat(post, claim);
      if (seat !== undefined && (await this.find(post._id)) !== undefined) return seat;
      await this.#undoJoin(membership, seat, now);
      return seat === undefined ? 'full' : 'closed';
    } catch (error) {
      // Whatever this join took goes, or a retry would take a second seat.
      await this.#undoJoin(membership, seat, now).catch(() => undefined);
      throw error;
    }
  }

  /**
   * Whether a join that took `seat` finished in time to keep it. A join whose membership aged past half
   * the abandoned age may have been taken for dead by a retry, which then takes a seat of its own.
   */
  joinedInTime(seat: ClaimDocument, now: Date): boolean {
    return this.#claimed.heldInTime(seat, now);
  }

  /** Removes a seat this request took, and the membership taken with it. */
  async giveUp(seat: ClaimDocument, now: Date): Promise<void> {
    await this.#undoJoin({ ...seat, _id: membershipId(seat.postId, seat.memberKey) }, seat, now);
  }

  /** Whether the member's profile (undefined: anyone with the nick) holds a seat of the post. */
  async seated(postId: string, memberKey: string, memberProfile: string | undefined): Promise<boolean> {
    return (await this.#claims.countDocuments(seatsOf(postId, memberKey, memberProfile), { limit: 1, ...this.#limit })) > 0;
  }

  /**
   * Frees the seat of the member's profile (undefined: any seat of the nick); false when they hold none.
   * The membership goes only with its seat: a join between its membership and its seat keeps both, or
   * the member could join again and hold two seats.
   * Not findOneAndDelete: FerretDB's returns the seat even when a concurrent leave deleted it first.
   */
  async leave(postId: string, memberKey: string, memberProfile: string | undefined, now: Date): Promise<boolean> {
    const seat = await this.#claims.findOne(seatsOf(postId, memberKey, memberProfile), this.#limit);
    if (seat === null || !(await this.#claimed.release(seat, now))) return false;
    await this.#claimed.release({ ...seat, _id: membershipId(postId, memberKey) }, now);
    return true;
  }

  /** Removes the post and its seats; false when there was no such post. */
  async close(postId: string): Promise<boolean> {
    const { deletedCount } = await this.#posts.deleteOne({ _id: postId });
    await this.#claims.deleteMany({ postId });
    return deletedCount > 0;
  }

  /**
   * For a deleted profile: closes the posts it owns and frees the seats it holds (and those recorded
   * without a profile under its nick), never those of a later profile with the same nick.
   */
  async forgetPlayer(nickKey: string, profile: string, now: Date): Promise<void> {
    const owned = await this.#posts.find(postsOfProfile(nickKey, profile), { projection: { _id: 1 }, ...this.#limit }).toArray();
    await this.#posts.deleteMany(postsOfProfile(nickKey, profile));
    if (owned.length > 0) await this.#claims.deleteMany({ postId: { $in: owned.map((post) => post._id) } });
    const held = await this.#claims.find({ ...claimsOfProfile(nickKey, profile), kind: { $in: ['seat', 'membership'] } }, this.#limit).toArray();
    // One by one, seats first, as a leave does: a bulk delete could remove a seat another member took since.
    for (const kind of ['seat', 'membership']) for (const claim of held.filter((each) => each.kind === kind)) await this.#claimed.release(claim, now);
  }

  /**
   * A membership older than the abandoned age whose seat is not held belongs to a join that died midway.
   * One recorded for a profile that no longer has the nick (deleted, its cleanup not run yet) is no one's
   * any more, whatever its age: its seat stays until that cleanup or the owner frees it, but no longer
   * turns the nick's new player away. Never the other way round: a late join of the deleted profile
   * leaves the new one's be.
   */
  async #claimMembership(membership: ClaimDocument, profile: string): Promise<boolean> {
    const { postId, memberKey } = membership;
    const take = () => this.#claimed.take(membership, async () => !(await this.seated(postId, memberKey, profile)));
    if (await take()) return true;
    const holder = await this.#claims.findOne({ _id: membership._id }, this.#limit);
    if (holder === null) return take();
    if (holder.memberProfile === undefined || holder.memberProfile === profile) return false;
    const current = await this.#players.findOne({ _id: memberKey }, { projection: { incarnation: 1 }, ...this.#limit });
    if (current?.incarnation.toHexString() === holder.memberProfile) return false;
    // Released here, or by whoever was removing it already (the deletion's cleanup, the owner): the take decides.
    await this.#claimed.release(holder, membership.at);
    return take();
  }

  async #takeFreeSeat(post: PostDocument, claim: Omit<ClaimDocument, '_id' | 'kind'>): Promise<ClaimDocument | undefined> {
    const taken = new Set((await this.seats([post._id])).map((seat) => seat.slot));
    for (let slot = 0; slot < post.slots; slot++) {
      const seat: ClaimDocument = { ...claim, _id: `${post._id}:seat:${String(slot)}`, kind: 'seat', slot };
      if (!taken.has(slot) && (await this.#claimed.insert(seat))) return seat;
    }
    return undefined;
  }

  /** The seat first: a membership left without its seat still turns a second join away. */
  async #undoJoin(membership: ClaimDocument, seat: ClaimDocument | undefined, now: Date): Promise<void> {
    if (seat !== undefined) await this.#claimed.release(seat, now);
    await this.#claimed.release(membership, now);
  }

  /** The index names created, or undefined where the server has no TTL indexes. */
  async #createExpiryIndex<T extends Document>(collection: Collection<T>): Promise<string[] | undefined> {
    try {
      return await createMissingIndexes(collection, [expiryIndex]);
    } catch (error) {
      if (error instanceof MongoServerError && error.code === notImplemented) return undefined;
      throw error;
    }
  }

  async #deleteExpired(now: Date): Promise<void> {
    await this.#posts.deleteMany({ expiresAt: { $lte: now } });
    await this.#claims.deleteMany({ expiresAt: { $lte: now } });
  }
}

function searchFilter(criteria: SearchCriteria): Filter<PostDocument> {
  // A post that started more than the longest duration ago has expired: this bound keeps the scan of
  // the order index to posts that may still be open.
  const earliest = new Date(criteria.now.getTime() - criteria.maxDurationMs).toISOString();
  const after = criteria.after !== undefined && criteria.after > earliest ? criteria.after : earliest;
  const filter: Filter<PostDocument> = { order: { $gt: after }, expiresAt: { $gt: criteria.now } };
  if (criteria.gameKey !== undefined) filter.gameKey = criteria.gameKey;
  if (criteria.platform !== undefined) filter.platform = criteria.platform;
  if (criteria.region !== undefined) filter.region = criteria.region;
  if (criteria.language !== undefined) filter.languages = criteria.language;
  if (criteria.competitive !== undefined) filter.competitive = criteria.competitive;
  return filter;
}

const membershipId = (postId: string, memberKey: string) => `${postId}:member:${memberKey}`;

/** Whether a record made for profile `recorded` is the profile's; one made before profiles were recorded is its nick's. */
export const recordedFor = (recorded: string | undefined, profile: string) => recorded === undefined || recorded === profile;

/** recordedFor as a filter: the posts of the owner's profile, and those stored before profiles were recorded. */
const postsOfProfile = (ownerKey: string, profile: string): Filter<PostDocument> => ({ ownerKey, $or: [{ ownerProfile: profile }, { ownerProfile: { $exists: false } }] });

/** recordedFor as a filter: the seats and memberships of the member's profile, and those stored before profiles were recorded. */
const claimsOfProfile = (memberKey: string, profile: string): Filter<ClaimDocument> => ({ memberKey, $or: [{ memberProfile: profile }, { memberProfile: { $exists: false } }] });

/** The seats of a nick in a post: those of `profile` (see claimsOfProfile), or all when `profile` is undefined. */
function seatsOf(postId: string, memberKey: string, profile: string | undefined): Filter<ClaimDocument> {
  return { ...(profile === undefined ? { memberKey } : claimsOfProfile(memberKey, profile)), postId, kind: 'seat' };
}
