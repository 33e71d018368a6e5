// Account use cases: sign-up, login with throttling, password changes, and turning a bearer token into
// a caller. Depends on the players domain (never the other way round) for the profile side of sign-up
// and deletion.
import { createHash, timingSafeEqual } from 'node:crypto';
import { ObjectId } from 'mongodb';
import { AppError, invalidToken, tokenRevoked } from '../errors.ts';
import { isProfile, type StoredPlayer } from '../players/repository.ts';
import type { PlayerService } from '../players/service.ts';
import type { Caller } from './caller.ts';
import type { PasswordHasher } from './passwords.ts';
import { CredentialTakenError, type AccountRepository, type Credential } from './repository.ts';
import type { SignUp } from './schema.ts';
import { InvalidTokenError, type TokenIssuer } from './tokens.ts';

/** Longer than any password check takes: an attempt still unjudged after this was abandoned (its process died). */
const checkAbandonedMs = 60_000;

export type LoginOutcome = 'success' | 'failure' | 'throttled';

export interface AccountOptions {
  readonly operatorToken: Uint8Array | undefined;
  readonly loginLimit: number;
  readonly loginWindowSeconds: number;
  readonly onLogin?: (outcome: LoginOutcome) => void;
}

export class AccountService {
  readonly #players: PlayerService;
  readonly #repository: AccountRepository;
  readonly #hasher: PasswordHasher;
  readonly #tokens: TokenIssuer;
  /** Digest of the operator token: equal-length buffers for timingSafeEqual, whatever the caller sends. */
  readonly #operatorDigest: Buffer | undefined;
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #onLogin: (outcome: LoginOutcome) => void;

  constructor(players: PlayerService, repository: AccountRepository, hasher: PasswordHasher, tokens: TokenIssuer, options: AccountOptions) {
    this.#players = players;
    this.#repository = repository;
    this.#hasher = hasher;
    this.#tokens = tokens;
    this.#operatorDigest = options.operatorToken === undefined ? undefined : digest(options.operatorToken);
    this.#limit = options.loginLimit;
    this.#windowMs = options.loginWindowSeconds * 1000;
    this.#onLogin = options.onLogin ?? (() => undefined);
  }

  /**
   * Stores the password first, for the profile's incarnation-to-be, then the profile: a profile never
   * exists without its password, even when its insert's answer is lost or the process dies right after
   * (the player can log in; a retry is told the nick is taken). A password whose profile never came
   * belongs to no one: passwords count only for the profile that holds their incarnation.
   */
  async signUp(input: SignUp): Promise<StoredPlayer> {
    const { password, ...profile } = input;
    const hash = await this.#hasher.hash(password);
    const incarnation = new ObjectId();
    await this.#repository.createFirst(profile.nick, incarnation, hash, new Date());
    try {
      return await this.#players.create(profile, incarnation);
    } catch (error) {
      await this.#outliveNoProfile(profile.nick, incarnation);
      throw error;
    }
  }

  /** An unknown nick and a wrong password get the same 401 after the same work. */
  async login(nick: string, password: string): Promise<{ token: string; expiresIn: number }> {
    const credential = await this.#checkPassword(nick, password);
    if (credential === undefined) throw new AppError(401, { detail: 'Unknown nick or wrong password.' });
    const token = await this.#tokens.issue({ nick: credential.nick, credential: credential.id, incarnation: credential.incarnation.toHexString() });
    return { token, expiresIn: this.#tokens.ttlSeconds };
  }

  /** Retires every token issued before: they name the old password. `writer` is the caller's profile. */
  async changePassword(nick: string, currentPassword: string, newPassword: string, writer: string): Promise<void> {
    const credential = await this.#checkPassword(nick, currentPassword);
    // No password matched: a wrong one, or the token's profile was deleted since the token was checked
    // (and the nick perhaps taken again), which is no matter of the password.
    const profile = credential?.incarnation ?? (await this.#players.find(nick))?.version.incarnation;
    if (profile?.toHexString() !== writer) throw invalidToken(tokenRevoked);
    if (credential === undefined) throw new AppError(403, { detail: 'The current password is wrong.' });
    const hash = await this.#hasher.hash(newPassword);
    try {
      await this.#repository.replace(credential, hash, new Date());
    } catch (error) {
      // A deletion that removed every password of the profile meanwhile looks like a lost race too.
      if (error instanceof CredentialTakenError && !(await this.#isLive(nick, credential.incarnation))) throw invalidToken(tokenRevoked);
      // An insert whose answer was lost may have landed: then the password is changed (hashes are salted,
      // so no other change stored this one), and saying otherwise would leave its owner guessing.
      if (error instanceof CredentialTakenError || !(await this.#inForce(nick, credential.incarnation, hash))) {
        throw credentialConflict(error, 'The password was changed concurrently; log in again.');
      }
    }
    await this.#outliveNoProfile(nick, credential.incarnation);
  }

  /**
   * Deleting a profile removes its passwords once the profile is gone; one written by a request that
   * raced the deletion lands after that, so the writer checks afterwards and removes it itself. Either
   * way the request succeeded before the deletion. Only saves space, as removing them on deletion does
   * (a password never outranks its profile): a failure here fails no request.
   */
  async #outliveNoProfile(nick: string, incarnation: ObjectId): Promise<void> {
    if (await this.#isLive(nick, incarnation).catch(() => true)) return;
    await this.#repository.removeAll(nick, incarnation).catch(() => undefined);
  }

  async #inForce(nick: string, incarnation: ObjectId, hash: string): Promise<boolean> {
    return (await this.#repository.current(nick, incarnation).catch(() => undefined))?.hash === hash;
  }

  async #isLive(nick: string, incarnation: ObjectId): Promise<boolean> {
    return isProfile(await this.#players.find(nick), incarnation.toHexString());
  }

  /** The caller a bearer token stands for; InvalidTokenError when it stands for no one. */
  async authenticate(token: string): Promise<Caller> {
    if (this.#isOperator(token)) return { kind: 'operator' };
    const claims = await this.#tokens.verify(token);
    const credential = await this.#currentCredential(claims.nick);
    if (credential?.id !== claims.credential || credential.incarnation.toHexString() !== claims.incarnation) {
      throw new InvalidTokenError(tokenRevoked);
    }
    return { kind: 'player', nick: claims.nick, profile: claims.incarnation };
  }

  /** The password in force for the live profile with this nick; undefined without either. */
  async #currentCredential(nick: string): Promise<Credential | undefined> {
    const player = await this.#players.find(nick);
    return player === undefined ? undefined : this.#repository.current(nick, player.version.incarnation);
  }

  #isOperator(token: string): boolean {
    return this.#operatorDigest !== undefined && timingSafeEqual(digest(Buffer.from(token, 'utf8')), this.#operatorDigest);
  }

  /**
   * The password in force when `password` matches it, else undefined; 429 while throttled. The attempt is
   * recorded before it is judged and counted with every other recent one, so concurrent guesses see each
   * other; it is forgotten again if it succeeds or is turned away.
   */
  async #checkPassword(nick: string, password: string): Promise<Credential | undefined> {
    const now = new Date();
    const attempt = await this.#repository.recordAttempt(nick, now, this.#windowMs);
    if ((await this.#repository.countRecentAttempts(nick, new Date(now.getTime() - this.#windowMs), this.#limit + 1)) > this.#limit) {
      await this.#forget(attempt);
      this.#onLogin('throttled');
      throw await this.#throttled(nick, now);
    }
    let matches: boolean;
    let credential: Credential | undefined;
    try {
      credential = await this.#currentCredential(nick);
      matches = await this.#hasher.verify(password, credential?.hash);
    } catch (error) {
      // Not judged (e.g. the hash queue was full): not a failure to count against the nick.
      await this.#forget(attempt);
      throw error;
    }
    if (!matches) {
      this.#onLogin('failure');
      // Counted already; should marking it fail, it is taken for a failure once it is checkAbandonedMs old.
      await this.#repository.markFailed(attempt).catch(() => undefined);
      return undefined;
    }
    await this.#forget(attempt);
    this.#onLogin('success');
    return credential;
  }

  /**
   * Stops counting an attempt that was not a failure. Should that fail, the attempt is taken for a failure
   * once it is checkAbandonedMs old: throttling errs on the strict side, and the caller gets its answer.
   */
  async #forget(attempt: ObjectId): Promise<void> {
    await this.#repository.forgetAttempt(attempt).catch(() => undefined);
  }

  /**
   * The 429 for attempts over the limit: failed ones lock the nick until the oldest of them leaves the
   * window; attempts still being checked (several logins at once) free up within moments.
   */
  async #throttled(nick: string, now: Date): Promise<AppError> {
    // Counted apart from the attempts in flight, which could hide failures past the limit's window of rows.
    const since = new Date(now.getTime() - this.#windowMs);
    const abandonedBefore = new Date(now.getTime() - Math.min(checkAbandonedMs, this.#windowMs));
    const failures = await this.#repository.recentFailures(nick, since, abandonedBefore, this.#limit);
    const oldestCounted = failures[this.#limit - 1];
    if (oldestCounted === undefined) {
      return new AppError(429, { detail: `Too many password checks for "${nick}" at once; retry in 1 s.`, headers: { 'Retry-After': '1' } });
    }
    const retryAfter = Math.max(1, Math.ceil((oldestCounted.getTime() + this.#windowMs - now.getTime()) / 1000));
    return new AppError(429, { detail: `Too many failed logins for "${nick}"; retry in ${String(retryAfter)} s.`, headers: { 'Retry-After': String(retryAfter) } });
  }
}

/** A password record someone else got first: 409, the client's to retry; anything else as it is (503 for the database). */
function credentialConflict(error: unknown, detail: string): unknown {
  return error instanceof CredentialTakenError ? new AppError(409, { detail }) : error;
}

function digest(value: Uint8Array): Buffer {
  return createHash('sha256').update(value).digest();
}
