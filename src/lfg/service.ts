// Looking-for-group use cases: publishing within the time limits, search, joining, leaving, closing, and
// who sees whose contact. Knows nothing of Koa or the driver; the caller arrives already authenticated.
import { z } from 'zod';
import type { Caller, PlayerCaller } from '../auth/caller.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { AppError, insufficientScope, invalidToken, notFound, tokenRevoked } from '../errors.ts';
import type { DeletedProfile } from '../players/deletions.ts';
import { normaliseKey } from '../players/keys.ts';
import { isProfile, type PlayerRepository, type StoredPlayer } from '../players/repository.ts';
import { recordedFor, type ClaimDocument, type LfgRepository, type PostDocument } from './repository.ts';
import { lfgInputSchema, type LfgInput, type LfgPost, type LfgSearch, type PostTimes, type TimeError } from './schema.ts';

export type JoinMetric = 'joined' | 'full' | 'already_member' | 'own_post' | 'expired' | 'not_found' | 'too_slow';

interface LfgLimits {
  /** How far ahead a post may start. */
  readonly maxAheadMs: number;
  /** How long ago a new post may have started (clocks differ; "now" takes a moment to send). */
  readonly pastGraceMs: number;
  /** How long after its start a post lasts unless it says otherwise. */
  readonly defaultDurationMs: number;
  /** The longest a post may last after its start. */
  readonly maxDurationMs: number;
  /** Posts one player may have open at once: enough for a week of sessions, too few to flood a search. */
  readonly maxOpenPostsPerOwner: number;
}

const hour = 3_600_000;
export const lfgLimits: LfgLimits = { maxAheadMs: 7 * 24 * hour, pastGraceMs: 5 * 60_000, defaultDurationMs: 2 * hour, maxDurationMs: 24 * hour, maxOpenPostsPerOwner: 10 };

export interface LfgOptions {
  readonly now?: () => Date;
  readonly onCreated?: () => void;
  readonly onJoin?: (outcome: JoinMetric) => void;
}

export interface LfgPage {
  readonly items: LfgPost[];
  readonly nextCursor: string | null;
}

/** Where a page ended: the `order` key of its last post. */
const searchPosition = z.strictObject({ after: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\|[0-9a-f]{24}$/) });

export class LfgService {
  readonly #repository: LfgRepository;
  readonly #players: PlayerRepository;
  readonly #now: () => Date;
  readonly #onCreated: () => void;
  readonly #onJoin: (outcome: JoinMetric) => void;
  /** The body of a post to publish, its times checked against this service's limits and clock. */
  readonly inputSchema = lfgInputSchema((times) => this.#timeErrors(times, this.#now()));

  constructor(repository: LfgRepository, players: PlayerRepository, options: LfgOptions = {}) {
    this.#repository = repository;
    this.#players = players;
    this.#now = options.now ?? (() => new Date());
    this.#onCreated = options.onCreated ?? (() => undefined);
    this.#onJoin = options.onJoin ?? (() => undefined);
  }

  /**
   * Deleting a profile removes its posts once the profile is gone; a post written by a request that raced
   * the deletion lands after that, so the profile is read again afterwards and the post closed if it died.
   */
  async create(owner: PlayerCaller, input: LfgInput): Promise<LfgPost> {
    const now = this.#now();
    const { startsAt, expiresAt } = this.#schedule(input, now);
    const stored = await this.#liveProfile(owner);
    if (stored === undefined) throw invalidToken(tokenRevoked);
    const { game, expiresAt: _expiresAt, startsAt: _startsAt, ...details } = input;
    const post = await this.#repository.insert({
      ...details,
      ownerKey: owner.nick,
      owner: stored.player.nick,
      ownerProfile: owner.profile,
      game: game.trim(),
      startsAt,
      expiresAt,
      createdAt: now,
    });
    const withdraw = async () => { await this.#repository.close(post._id); };
    if (!(await keptIf(() => this.#lives(owner), withdraw))) throw invalidToken(tokenRevoked);
    // Counted with this post in: concurrent publishes past the limit may all withdraw, but none stays beyond it.
    const withinLimit = async () => (await this.#repository.openPostsOf(owner.nick, owner.profile, now)) <= lfgLimits.maxOpenPostsPerOwner;
    if (!(await keptIf(withinLimit, withdraw))) {
      throw new AppError(409, { detail: `A player may have at most ${String(lfgLimits.maxOpenPostsPerOwner)} open posts: close one, or wait until one expires.` });
    }
    this.#onCreated();
    return (await this.#views([post], owner))[0] as LfgPost;
  }

  async get(id: string, viewer: Caller): Promise<LfgPost> {
    return (await this.#views([await this.#open(id)], viewer))[0] as LfgPost;
  }

  async search(query: LfgSearch, viewer: Caller): Promise<LfgPage> {
    const { posts, more } = await this.#repository.search({
      gameKey: query.game === undefined ? undefined : normaliseKey(query.game),
      platform: query.platform,
      region: query.region,
      language: query.language,
      competitive: query.competitive === undefined ? undefined : query.competitive === 'true',
      after: query.cursor === undefined ? undefined : decodeCursor(query.cursor, searchPosition).after,
      now: this.#now(),
      maxDurationMs: lfgLimits.maxDurationMs,
      limit: query.limit,
    });
    const last = posts.at(-1);
    return { items: await this.#views(posts, viewer), nextCursor: more && last !== undefined ? encodeCursor({ after: last.order }) : null };
  }

  async join(id: string, member: PlayerCaller): Promise<LfgPost> {
    const outcome = await this.#join(id, member);
    this.#onJoin(outcome.metric);
    if (outcome.metric !== 'joined') throw outcome.error;
    return (await this.#views([outcome.post], member))[0] as LfgPost;
  }

  /** What a join answers before it writes: 404 for no post, 409 for an expired one or the caller's own. */
  async assertJoinable(id: string, member: PlayerCaller): Promise<void> {
    const post = await this.#repository.find(id);
    if (post === undefined) throw missing(id);
    const refusal = this.#joinRefusal(post, member, this.#now());
    if (refusal !== undefined) throw refusal.error;
  }

  /** What a leave answers before it writes: 404 for no open post or no such member, 403 for a caller who is neither the member nor the owner. */
  async assertLeavable(id: string, memberNick: string, by: Caller): Promise<void> {
    const { post, memberKey, memberProfile } = await this.#leaving(id, memberNick, by);
    if (!(await this.#repository.seated(post._id, memberKey, memberProfile))) throw notMember(memberNick);
  }

  /** The member leaves, or the owner removes them. */
  async leave(id: string, memberNick: string, by: Caller): Promise<void> {
    const { post, memberKey, memberProfile } = await this.#leaving(id, memberNick, by);
    if (!(await this.#repository.leave(post._id, memberKey, memberProfile, this.#now()))) throw notMember(memberNick);
  }

  /** What a close answers before it writes: 404 for no open post, 403 for a caller who is neither its owner nor the operator. */
  async assertClosable(id: string, by: Caller): Promise<void> {
    await this.#closable(id, by);
  }

  /** The owner or the operator closes the post: it is removed with its seats. */
  async close(id: string, by: Caller): Promise<void> {
    await this.#repository.close((await this.#closable(id, by))._id);
  }

  /** Called after a player's profile is deleted. */
  async forgetPlayer(deleted: DeletedProfile): Promise<void> {
    await this.#repository.forgetPlayer(deleted.nick, deleted.incarnation.toHexString(), this.#now());
  }

  /** A seat taken for a profile deleted meanwhile is given up again, as create() closes such a post. Failures come back as outcomes, to be counted. */
  async #join(id: string, member: PlayerCaller): Promise<{ metric: 'joined'; post: PostDocument } | { metric: Exclude<JoinMetric, 'joined'>; error: AppError }> {
    const now = this.#now();
    const post = await this.#repository.find(id);
    if (post === undefined) return { metric: 'not_found', error: missing(id) };
    const refusal = this.#joinRefusal(post, member, now);
    if (refusal !== undefined) return refusal;
    const stored = await this.#liveProfile(member);
    // Counted as before accounts existed, when a deleted member was simply not found.
    if (stored === undefined) return { metric: 'not_found', error: invalidToken(tokenRevoked) };
    const joined = await this.#repository.join(post, { key: member.nick, nick: stored.player.nick, profile: member.profile }, now);
    if (joined === 'member') return { metric: 'already_member', error: new AppError(409, { detail: 'You are a member of this post already.' }) };
    if (joined === 'full') return { metric: 'full', error: new AppError(409, { detail: 'The post has no free slot.' }) };
    if (joined === 'closed') return { metric: 'not_found', error: missing(id) };
    if (!this.#repository.joinedInTime(joined, this.#now())) {
      await this.#repository.giveUp(joined, now);
      return { metric: 'too_slow', error: new AppError(503, { detail: 'The join took too long and was undone; retry shortly.', headers: { 'Retry-After': '1' } }) };
    }
    if (!(await keptIf(() => this.#lives(member), () => this.#repository.giveUp(joined, now)))) return { metric: 'not_found', error: invalidToken(tokenRevoked) };
    return { metric: 'joined', post };
  }

  /** The caller's profile, unless it was deleted since the token was checked. */
  async #liveProfile(caller: PlayerCaller): Promise<StoredPlayer | undefined> {
    const stored = await this.#players.findByNick(caller.nick);
    return isProfile(stored, caller.profile) ? stored : undefined;
  }

  async #lives(caller: PlayerCaller): Promise<boolean> {
    return (await this.#liveProfile(caller)) !== undefined;
  }

  /** Why `member` may not join `post`, as far as the post alone tells; the write decides the rest. */
  #joinRefusal(post: PostDocument, member: PlayerCaller, now: Date): { metric: Exclude<JoinMetric, 'joined'>; error: AppError } | undefined {
    if (post.expiresAt <= now) return { metric: 'expired', error: new AppError(409, { detail: 'The post has expired.' }) };
    // The profile, not only the nick: a new player with the nick of a deleted owner may join what its cleanup left.
    if (ownedBy(post, member)) return { metric: 'own_post', error: new AppError(409, { detail: 'You cannot join your own post.' }) };
    return undefined;
  }

  /**
   * The open post and the member a leave names, if the caller may remove them: the member's own seat, or
   * for the owner (memberProfile undefined) any seat listed under the nick, a deleted profile's included.
   */
  async #leaving(id: string, memberNick: string, by: Caller): Promise<{ post: PostDocument; memberKey: string; memberProfile: string | undefined }> {
    const post = await this.#open(id);
    const memberKey = normaliseKey(memberNick);
    if (by.kind === 'player' && by.nick === memberKey) return { post, memberKey, memberProfile: by.profile };
    if (!ownedBy(post, by)) throw insufficientScope('Only the member or the post\'s owner may do this.', 'neither the member nor the owner of this post');
    return { post, memberKey, memberProfile: undefined };
  }

  async #closable(id: string, by: Caller): Promise<PostDocument> {
    const post = await this.#open(id);
    if (!ownedBy(post, by) && by.kind !== 'operator') throw insufficientScope('Only the post\'s owner or the operator may close it.', 'not the owner of this post');
    return post;
  }

  /** The post, unless it is gone or expired. */
  async #open(id: string): Promise<PostDocument> {
    const post = await this.#repository.find(id);
    if (post === undefined || post.expiresAt <= this.#now()) throw missing(id);
    return post;
  }

  /** The times a post is published with; checked again here, as the clock has moved on since the body was. */
  #schedule(input: LfgInput, now: Date): { startsAt: Date; expiresAt: Date } {
    const startsAt = new Date(input.startsAt);
    const sent = input.expiresAt === undefined ? undefined : new Date(input.expiresAt);
    const errors = this.#timeErrors({ startsAt, expiresAt: sent }, now);
    if (errors.length > 0) throw new AppError(400, { detail: 'The request body is invalid.', errors: errors.map(({ field, detail }) => ({ pointer: `/${field}`, detail })) });
    return { startsAt, expiresAt: sent ?? new Date(startsAt.getTime() + lfgLimits.defaultDurationMs) };
  }

  #timeErrors({ startsAt, expiresAt }: PostTimes, now: Date): TimeError[] {
    const errors: TimeError[] = [];
    if (startsAt.getTime() < now.getTime() - lfgLimits.pastGraceMs) {
      errors.push({ field: 'startsAt', detail: `must not be more than ${duration(lfgLimits.pastGraceMs)} in the past` });
    } else if (startsAt.getTime() > now.getTime() + lfgLimits.maxAheadMs) {
      errors.push({ field: 'startsAt', detail: `must be at most ${duration(lfgLimits.maxAheadMs)} ahead` });
    }
    if (expiresAt !== undefined) {
      if (expiresAt <= startsAt) errors.push({ field: 'expiresAt', detail: 'must be after startsAt' });
      else if (expiresAt.getTime() > startsAt.getTime() + lfgLimits.maxDurationMs) {
        errors.push({ field: 'expiresAt', detail: `must be at most ${duration(lfgLimits.maxDurationMs)} after startsAt` });
      } else if (expiresAt <= now) errors.push({ field: 'expiresAt', detail: 'must be in the future' });
    }
    return errors;
  }

  /** Posts as the viewer sees them: contacts only for the owner and members of each post. */
  async #views(posts: readonly PostDocument[], viewer: Caller): Promise<LfgPost[]> {
    const seats = await this.#repository.seats(posts.map((post) => post._id));
    const seatsOf = Map.groupBy(seats, (seat) => seat.postId);
    const insider = (post: PostDocument) =>
      viewer.kind === 'player' && (ownedBy(post, viewer) || (seatsOf.get(post._id) ?? []).some((seat) => seat.memberKey === viewer.nick && recordedFor(seat.memberProfile, viewer.profile)));
    const shared = posts.filter(insider);
    const contacts = await this.#repository.contacts(shared.flatMap((post) => [post.ownerKey, ...(seatsOf.get(post._id) ?? []).map((seat) => seat.memberKey)]));
    return posts.map((post) => toView(post, seatsOf.get(post._id) ?? [], insider(post) ? contacts : new Map()));
  }
}

/**
 * For a write checked after it landed: undoes it unless `check` holds, and also when `check` fails (a
 * retry must not find the first attempt's post or seat still there).
 */
async function keptIf(check: () => Promise<boolean>, undo: () => Promise<void>): Promise<boolean> {
  let kept: boolean;
  try {
    kept = await check();
  } catch (error) {
    await undo().catch(() => undefined);
    throw error;
  }
  if (!kept) await undo();
  return kept;
}

function ownedBy(post: PostDocument, caller: Caller): boolean {
  return caller.kind === 'player' && caller.nick === post.ownerKey && recordedFor(post.ownerProfile, caller.profile);
}

type Contacts = ReadonlyMap<string, { readonly profile: string; readonly contact: string }>;

function toView(post: PostDocument, seats: readonly ClaimDocument[], contacts: Contacts): LfgPost {
  const { _id, ownerKey, owner, ownerProfile, gameKey: _gameKey, order: _order, startsAt, expiresAt, createdAt, ...details } = post;
  // The contact of whoever has the nick now, only if that is the profile the post or seat was made for.
  const person = (key: string, nick: string, profile: string | undefined) => {
    const found = contacts.get(key);
    return { nick, ...(found === undefined || !recordedFor(profile, found.profile) ? {} : { contact: found.contact }) };
  };
  return {
    id: _id,
    ...details,
    owner: person(ownerKey, owner, ownerProfile),
    freeSlots: Math.max(0, post.slots - seats.length),
    members: seats.map((seat) => ({ ...person(seat.memberKey, seat.member, seat.memberProfile), joinedAt: seat.at.toISOString() })),
    startsAt: startsAt.toISOString(),
    expiresAt: expiresAt.toISOString(),
    createdAt: createdAt.toISOString(),
  };
}

function notMember(nick: string): AppError {
  return notFound(`"${nick}" is not a member of this post.`);
}

function missing(id: string): AppError {
  return notFound(`No open post has the id "${id}".`);
}

function duration(ms: number): string {
  const day = 24 * hour;
  if (ms > day && ms % day === 0) return `${String(ms / day)} days`;
  return ms % hour === 0 ? `${String(ms / hour)} h` : `${String(ms / 60_000)} minutes`;
}
