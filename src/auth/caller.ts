// Who is calling, and what a route requires of them. Plain data shared by the HTTP layer (which resolves
// the caller and enforces the requirement) and the OpenAPI generator (which documents it).

export type Caller =
  | { readonly kind: 'anonymous' }
  /**
   * `nick` is normalised (the token's sub); `profile` is the profile the token was issued for (hex of
   * players.incarnation), so a write never lands on a later profile that took the same nick.
   */
  | { readonly kind: 'player'; readonly nick: string; readonly profile: string }
  | { readonly kind: 'operator' };

/**
 * `optional`: anyone, but a valid token shows more (e.g. contact details); an invalid one is still 401.
 * `owner`: a token of the player named by the path parameter `param`; with `operator`, the operator's too.
 * `player`: any player's token (with `operator`, the operator's too), for resources whose owner only the
 * service knows, e.g. a looking-for-group post: the service turns away the wrong player with 403.
 */
export type Access = 'optional' | { readonly owner: string; readonly operator?: boolean } | { readonly player: true; readonly operator?: boolean };

export type PlayerCaller = Extract<Caller, { kind: 'player' }>;

export const anonymous: Caller = { kind: 'anonymous' };
