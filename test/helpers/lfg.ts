// A valid looking-for-group post (POST /v1/lfg body), starting an hour from now.
export function validLfgPost(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { game: 'Rocket League', platform: 'pc', region: 'eu', languages: ['en'], competitive: true, slots: 3, startsAt: new Date(Date.now() + 3_600_000).toISOString(), ...overrides };
}
