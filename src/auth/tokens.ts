// Access tokens: HS256 JWTs made and checked by jose. `sub` is the normalised nick; `inc` the profile
// (players.incarnation) and `cred` the password they were issued under, so deleting the profile or
// changing the password retires them (see AccountService).
import { errors, jwtVerify, SignJWT } from 'jose';

export interface TokenClaims {
  readonly nick: string;
  readonly credential: string;
  /** Hex of the profile's incarnation. */
  readonly incarnation: string;
}

/** Why a presented token is refused; worded for the WWW-Authenticate error_description. */
export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
}

const algorithm = 'HS256';
const issuer = 'playerfinder';

export class TokenIssuer {
  readonly #key: Uint8Array;
  readonly #ttlSeconds: number;

  constructor(key: Uint8Array, ttlSeconds: number) {
    this.#key = key;
    this.#ttlSeconds = ttlSeconds;
  }

  get ttlSeconds(): number {
    return this.#ttlSeconds;
  }

  issue(claims: TokenClaims): Promise<string> {
    return new SignJWT({ cred: claims.credential, inc: claims.incarnation })
      .setProtectedHeader({ alg: algorithm, typ: 'JWT' })
      .setSubject(claims.nick)
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime(`${String(this.#ttlSeconds)}s`)
      .sign(this.#key);
  }

  async verify(token: string): Promise<TokenClaims> {
    try {
      const { payload } = await jwtVerify(token, this.#key, { algorithms: [algorithm], issuer, requiredClaims: ['sub', 'exp', 'cred', 'inc'] });
      if (typeof payload.sub !== 'string' || typeof payload.cred !== 'string' || typeof payload.inc !== 'string') throw new InvalidTokenError('The token lacks its claims.');
      return { nick: payload.sub, credential: payload.cred, incarnation: payload.inc };
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new InvalidTokenError('The token has expired.');
      if (error instanceof errors.JOSEError) throw new InvalidTokenError('The token is malformed or not signed by this service.');
      throw error;
    }
  }
}
